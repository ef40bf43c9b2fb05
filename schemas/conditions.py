"""Conditions of rules: a mapping of field path to matcher, all of which must match.

A field path names a value of the thing being judged:

- on an event (intent rules): ``channel``, ``type``, ``name``, ``source``,
  ``properties.<key>[.<key>...]``, ``traits.<key>`` (the signal's own traits);
- on a person (fit rules, disqualifiers, personas): ``traits.<key>`` (the lead's merged
  traits), ``email``, ``email_domain``, ``free_mail`` (true when the email's domain is a
  free-mail one, per the rules' ``accounts`` list), ``account.<key>`` (account firmographics from
  group calls, plus ``account.id`` and ``account.domain``), ``person.<field>`` and
  ``company.<field>`` (traits in one vocabulary, derived from titles and firmographics
  wherever vendors put them: ``schemas.traits``; unknown fields and values outside a
  closed vocabulary are rejected).

A matcher is a scalar (equality), a list (one of), or one operator object:
``{equals}``, ``{in}``, ``{not_in}``, ``{glob}``, ``{regex}``, ``{contains}``, ``{exists}``,
``{gte}``, ``{lte}``, ``{gt}``, ``{lt}``. String comparisons ignore case.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from schemas.base import Contract
from schemas.traits import DERIVED_FIELDS

Scalar = str | int | float | bool

ROOT_FIELDS = frozenset(
    {
        "channel",
        "type",
        "name",
        "source",
        "email",
        "email_domain",
        "free_mail",
        "properties",
        "traits",
        "account",
        "person",
        "company",
    }
)
_NESTED_ROOTS = frozenset({"properties", "traits", "account", "person", "company"})


class Operator(Contract):
    """Exactly one operator; the matched value is the field's value."""

    equals: Scalar | None = None
    in_: tuple[Scalar, ...] | None = Field(default=None, alias="in")
    not_in: tuple[Scalar, ...] | None = None
    glob: str | None = None
    regex: str | None = None
    contains: Scalar | None = None
    exists: bool | None = None
    gte: float | None = None
    lte: float | None = None
    gt: float | None = None
    lt: float | None = None

    model_config = Contract.model_config | {"populate_by_name": True}

    @model_validator(mode="after")
    def _one_operator(self) -> Operator:
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        numeric = {"gte", "lte", "gt", "lt"}
        if not given or (len(given) > 1 and not set(given) <= numeric):
            raise ValueError("give exactly one operator (gte/lte/gt/lt may be combined)")
        if self.regex is not None:
            re.compile(self.regex)
        return self


Matcher = Scalar | tuple[Scalar, ...] | Operator


def _valid_paths(conditions: dict[str, Matcher]) -> dict[str, Matcher]:
    for path in conditions:
        root, _, rest = path.partition(".")
        if root not in ROOT_FIELDS:
            raise ValueError(f"unknown field {path!r}; fields start with {sorted(ROOT_FIELDS)}")
        if (root in _NESTED_ROOTS) != bool(rest):
            hint = f"{root}.<key>" if root in _NESTED_ROOTS else root
            raise ValueError(f"field {path!r} should be written {hint!r}")
        if root in DERIVED_FIELDS:
            _valid_derived(path, root, rest, conditions[path])
    return conditions


def _valid_derived(path: str, root: str, field: str, matcher: Matcher) -> None:
    """``person.<field>``/``company.<field>``: a known field, and for a closed
    vocabulary, values from it (an equality or one-of no lead could satisfy is a typo)."""
    fields = DERIVED_FIELDS[root]
    if field not in fields:
        raise ValueError(f"unknown field {path!r}; {root} fields are {sorted(fields)}")
    vocabulary = fields[field]
    if vocabulary is None:
        return
    if isinstance(matcher, Operator):
        options = (matcher.equals,) if matcher.equals is not None else matcher.in_ or matcher.not_in
    else:
        options = matcher if isinstance(matcher, tuple) else (matcher,)
    unknown = [o for o in options or () if not (isinstance(o, str) and o.casefold() in vocabulary)]
    if unknown:
        raise ValueError(f"{path}: {unknown[0]!r} is not one of {list(vocabulary)}")


Conditions = Annotated[dict[str, Matcher], AfterValidator(_valid_paths)]
