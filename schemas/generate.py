"""Generate the JSON Schema files in ``schemas/json/`` for non-Python consumers.

``python -m schemas.generate`` rewrites them; ``python -m schemas.generate --check``
exits 1 when any is stale (the test suite runs the same check).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

JSON_DIR = Path(__file__).parent / "json"

#: file stem → "module:attribute" of a pydantic model or a TypeAdapter.
CONTRACTS = {
    "signal": "schemas.signal:Signal",
    "transition": "schemas.transition:TransitionEvent",
    # ``data`` alone, for consumers that validate the payload of a transition CloudEvent
    # (its ``dataschema`` names this file's ``$id``).
    "transition-data": "schemas.transition:TransitionData",
    "rules": "schemas.rules:Rules",
    "routing": "schemas.routing:RoutingConfig",
    "assignment": "schemas.assignment:AssignmentEvent",
    "inbound-event": "schemas.events:INBOUND_EVENT",
    "routed-signal": "schemas.routed:RoutedSignal",
    "lead-view": "schemas.views:LeadView",
    "account-view": "schemas.views:AccountView",
    "review-report": "schemas.review:ReviewReport",
    "abm": "schemas.abm:AbmEvent",
}


#: ``$id`` of every file whose stem is not listed here: ``urn:leadq:schema:<stem>``.
SCHEMA_IDS = {"transition-data": "schemas.transition:TRANSITION_DATA_SCHEMA_ID"}


def schema_id(stem: str) -> str:
    """The ``$id`` of the schema file ``<stem>.schema.json`` (a URN: nothing is served)."""
    target = SCHEMA_IDS.get(stem)
    if target is None:
        return f"urn:leadq:schema:{stem}"
    module_name, _, attribute = target.partition(":")
    return str(getattr(importlib.import_module(module_name), attribute))


def schema_of(target: str) -> dict[str, Any]:
    module_name, _, attribute = target.partition(":")
    obj = getattr(importlib.import_module(module_name), attribute)
    if isinstance(obj, TypeAdapter):
        schema: dict[str, Any] = obj.json_schema()
    elif isinstance(obj, type) and issubclass(obj, BaseModel):
        schema = obj.model_json_schema()
    else:
        raise TypeError(f"{target} is neither a model nor a TypeAdapter")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def rendered() -> dict[Path, str]:
    """Every schema file's path and expected content."""
    return {
        JSON_DIR / f"{stem}.schema.json": json.dumps(
            {"$id": schema_id(stem), **schema_of(target)}, indent=2, sort_keys=True
        )
        + "\n"
        for stem, target in CONTRACTS.items()
    }


def stale_files() -> list[Path]:
    return [
        path
        for path, text in rendered().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if any file is stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path} (run python -m schemas.generate)", file=sys.stderr)
        return 1 if stale else 0
    JSON_DIR.mkdir(exist_ok=True)
    for path, text in rendered().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
