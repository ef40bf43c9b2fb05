"""The generated JSON Schema files match the models (regenerate: python -m schemas.generate)."""

from __future__ import annotations

import json

from schemas.generate import CONTRACTS, JSON_DIR, main, rendered, stale_files


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
