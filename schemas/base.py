"""Shared pydantic base classes for leadq's own wire contracts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Self

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticUndefined


class Contract(BaseModel):
    """Base of every leadq-owned wire model: immutable, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def from_validated(cls, values: Mapping[str, Any]) -> Self:
        """An instance holding ``values`` as they are, without validating them again.

        Contract: every value must come from a model that already validated it with the
        same rules (e.g. an inbound event's fields becoming a ``Signal``), and together
        they must satisfy this model's validators; never use it on untrusted input. The
        result equals ``cls(**values)``, the same fields set included. It exists because
        pydantic's ``model_construct`` costs about as much as a validation.
        """
        layout = _layout(cls)
        data = dict(layout.defaults)
        data.update(values)
        if len(data) != len(layout.defaults):
            unknown = sorted(set(values) - set(layout.defaults))
            raise TypeError(f"{cls.__name__}.from_validated: unknown fields {unknown}")
        for name, factory in layout.factories:
            if name not in values:
                data[name] = factory()
        for name in layout.required:
            if name not in values:
                raise TypeError(f"{cls.__name__}.from_validated: {name} is required")
        instance = cls.__new__(cls)
        # The attributes ``model_construct`` sets, set the same way (extra is forbidden).
        object.__setattr__(instance, "__dict__", data)
        object.__setattr__(instance, "__pydantic_fields_set__", set(values))
        object.__setattr__(instance, "__pydantic_extra__", None)
        object.__setattr__(instance, "__pydantic_private__", None)
        return instance


@dataclass(frozen=True, slots=True)
class _Layout:
    """A model's fields in declaration order: plain defaults (None placeholders for the
    others, so that ``dict(defaults)`` has every key in order), factories, required."""

    defaults: dict[str, Any]
    factories: tuple[tuple[str, Callable[[], Any]], ...]
    required: tuple[str, ...]


@cache
def _layout(model: type[BaseModel]) -> _Layout:
    fields = model.model_fields
    return _Layout(
        defaults={
            name: None if info.default is PydanticUndefined else info.default
            for name, info in fields.items()
        },
        factories=tuple(
            (name, info.default_factory)  # type: ignore[misc]
            for name, info in fields.items()
            if info.default_factory is not None
        ),
        required=tuple(name for name, info in fields.items() if info.is_required()),
    )
