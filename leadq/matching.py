"""Compile rule conditions into predicates over a flat view of an event or a person.

A *subject* is a plain mapping from root field (``channel``, ``traits``, ...) to value;
nested keys are followed with dots. Compilation happens once per rules load so the
per-event path only calls closures.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from typing import Any

from schemas.conditions import Conditions, Matcher, Operator

Subject = Mapping[str, Any]
Predicate = Callable[[Subject], bool]
_MISSING = object()


def lookup(subject: Subject, keys: tuple[str, ...]) -> Any:
    """The value at a dotted path, split into its keys once when rules compile (``a.b``
    is ``("a", "b")``), or ``_MISSING``; never raises."""
    value: Any = subject.get(keys[0], _MISSING)
    for key in keys[1:]:
        if not isinstance(value, Mapping):
            return _MISSING
        value = value.get(key, _MISSING)
    return value


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _equal(value: Any, expected: Any) -> bool:
    if isinstance(value, list):
        return any(_equal(item, expected) for item in value)
    if isinstance(value, bool) or isinstance(expected, bool):
        return value is expected
    return bool(_fold(value) == _fold(expected))


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", ""))
        except ValueError:
            return None
    return None


def _compile_operator(op: Operator) -> Callable[[Any], bool]:
    if op.exists is not None:
        wanted = op.exists
        return lambda v: (v is not _MISSING and v is not None) == wanted
    if op.equals is not None:
        return _one_of((op.equals,))
    if op.in_ is not None:
        return _one_of(tuple(op.in_))
    if op.not_in is not None:
        excluded = op.not_in
        return lambda v: v is not _MISSING and not any(_equal(v, o) for o in excluded)
    if op.glob is not None:
        pattern = re.compile(fnmatch.translate(op.glob.casefold()))
        return lambda v: isinstance(v, str) and pattern.match(v.casefold()) is not None
    if op.regex is not None:
        regex = re.compile(op.regex, re.IGNORECASE)
        return lambda v: isinstance(v, str) and regex.search(v) is not None
    if op.contains is not None:
        needle = _fold(op.contains)
        return lambda v: _contains(v, needle)
    return _compile_range(op)


def _contains(value: Any, needle: Any) -> bool:
    if isinstance(value, str):
        return isinstance(needle, str) and needle in value.casefold()
    if isinstance(value, list):
        return any(_equal(item, needle) for item in value)
    return False


def _compile_range(op: Operator) -> Callable[[Any], bool]:
    def in_range(value: Any) -> bool:
        number = _number(value)
        if number is None:
            return False
        return not (
            (op.gte is not None and number < op.gte)
            or (op.lte is not None and number > op.lte)
            or (op.gt is not None and number <= op.gt)
            or (op.lt is not None and number >= op.lt)
        )

    return in_range


def _one_of(options: tuple[Any, ...]) -> Callable[[Any], bool]:
    """``any(_equal(v, o) for o in options)``, with a set lookup when every option is a
    string (the common case: event names, paths, roles): a string value equals one iff
    its casefold is among theirs; a non-string scalar never equals a string."""
    if not all(isinstance(o, str) for o in options):
        return lambda v: any(_equal(v, o) for o in options)
    folded = frozenset(o.casefold() for o in options)

    def one_of(value: Any) -> bool:
        if isinstance(value, str):
            return value.casefold() in folded
        if isinstance(value, list):
            return any(one_of(item) for item in value)
        return False

    return one_of


def _compile_matcher(matcher: Matcher) -> Callable[[Any], bool]:
    if isinstance(matcher, Operator):
        return _compile_operator(matcher)
    if isinstance(matcher, tuple):
        return _one_of(matcher)
    return _one_of((matcher,))


def compile_conditions(conditions: Conditions) -> Predicate:
    """One predicate that is true when every condition holds (an empty mapping: always)."""
    checks = [(tuple(path.split(".")), _compile_matcher(m)) for path, m in conditions.items()]

    def predicate(subject: Subject) -> bool:
        return all(check(lookup(subject, keys)) for keys, check in checks)

    return predicate
