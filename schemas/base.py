"""Shared pydantic base classes for leadq's own wire contracts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """Base of every leadq-owned wire model: immutable, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")
