"""The generated JSON Schema files match the models (regenerate: python -m schemas.generate)."""

from __future__ import annotations

import json

from schemas.generate import CONTRACTS, JSON_DIR, main, rendered, stale_files
from schemas.transition import TRANSITION_DATA_SCHEMA_ID


def test_schema_files_are_up_to_date() -> None:
    assert stale_files() == [], "run: python -m schemas.generate"


def test_every_contract_has_a_schema_with_a_title() -> None:
    files = rendered()
    assert {path.name for path in files} == {f"{stem}.schema.json" for stem in CONTRACTS}
    for text in files.values():
        schema = json.loads(text)
        assert schema["$schema"].endswith("2020-12/schema")
        assert "properties" in schema or "oneOf" in schema or "anyOf" in schema


def test_check_mode_reports_a_stale_file() -> None:
    target = JSON_DIR / "signal.schema.json"
    original = target.read_text(encoding="utf-8")
    try:
        target.write_text(original.replace('"title"', '"titel"', 1), encoding="utf-8")
        assert main(["--check"]) == 1
    finally:
        target.write_text(original, encoding="utf-8")
    assert main(["--check"]) == 0


def test_every_schema_has_its_own_id() -> None:
    ids = [json.loads(text)["$id"] for text in rendered().values()]
    assert all(i.startswith("urn:leadq:schema:") for i in ids)
    assert len(set(ids)) == len(ids)


def test_transition_data_schema_is_what_a_transition_names_as_its_dataschema() -> None:
    schema = json.loads((JSON_DIR / "transition-data.schema.json").read_text(encoding="utf-8"))
    assert schema["$id"] == TRANSITION_DATA_SCHEMA_ID
    assert schema["title"] == "TransitionData"
    assert {"entity", "stage_from", "stage_to", "rules_version"} <= set(schema["required"])
    envelope = json.loads((JSON_DIR / "transition.schema.json").read_text(encoding="utf-8"))
    assert envelope["properties"]["dataschema"]["default"] == TRANSITION_DATA_SCHEMA_ID
