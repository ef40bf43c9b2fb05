"""Helpers for the vendor adapter tests: the documented examples and their signals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from leadq.adapters import normalize
from schemas.signal import Signal

EXAMPLES = Path(__file__).parent / "vendor_examples"


def example(name: str) -> Any:
    """``tests/unit/vendor_examples/<name>`` parsed."""
    return json.loads((EXAMPLES / name).read_text())


def signals(document: object, **options: Any) -> list[Signal]:
    """The signals of ``document`` (``normalize`` options passed on); no reject allowed."""
    result = normalize(document, **options)
    assert result.rejects == [], result.rejects
    return result.signals
