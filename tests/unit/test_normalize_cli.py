"""``leadq normalize``: stdin documents or JSON lines → signals on stdout, rejects on stderr."""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cli import normalize as normalize_cli
from schemas.signal import Signal

EXAMPLES = Path(__file__).parent / "vendor_examples"

Run = Callable[..., tuple[int, list[Signal], list[str]]]


def run_normalize(argv: Sequence[str]) -> int:
    """Parse and run ``leadq normalize`` with only this sub-command registered."""
    parser = argparse.ArgumentParser(prog="leadq")
    normalize_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["normalize", *argv])
    exit_code: int = args.func(args)
    return exit_code


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Feed ``stdin`` bytes to the command; return (exit code, signals, stderr lines)."""

    def invoke(stdin: bytes, *argv: str) -> tuple[int, list[Signal], list[str]]:
        monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(stdin)))
        exit_code = run_normalize(argv)
        captured = capsys.readouterr()
        signals = [Signal.model_validate_json(line) for line in captured.out.splitlines()]
        return exit_code, signals, captured.err.splitlines()

    return invoke


def example_bytes(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def as_line(document: Any) -> bytes:
    return json.dumps(document).encode() + b"\n"


def test_one_pretty_printed_document(run: Run) -> None:
    exit_code, signals, errors = run(example_bytes("sendgrid_events.json"))
    assert (exit_code, errors) == (0, [])
    assert len(signals) == 13
    assert signals[0].event_id == "rbtnWrG1DVDGGGFHFyun0A=="


def test_json_lines_in_input_order(run: Run) -> None:
    lines = [
        json.loads(example_bytes(name))
        for name in ("segment_identify.json", "postmark_open.json", "mailgun_clicked.json")
    ]
    exit_code, signals, errors = run(b"".join(as_line(line) for line in lines))
    assert (exit_code, errors) == (0, [])
    assert [signal.source for signal in signals] == ["segment", "postmark", "mailgun"]


def test_bad_lines_are_reported_and_the_rest_still_converted(run: Run) -> None:
    stdin = b"".join(
        [
            as_line(json.loads(example_bytes("postmark_open.json"))),
            b"{this is not json\n",
            b"\n",
            as_line({"hello": "world"}),
            as_line(json.loads(example_bytes("mailgun_delivered.json"))),
        ]
    )
    exit_code, signals, errors = run(stdin)
    assert exit_code == 2
    assert [signal.source for signal in signals] == ["postmark", "mailgun"]
    assert len(errors) == 2
    assert errors[0].startswith("leadq normalize: line 2: document is not JSON")
    assert errors[1].startswith("leadq normalize: line 4, item 0: unknown event format")


def test_a_bad_item_in_a_document_names_its_position(run: Run) -> None:
    exit_code, signals, errors = run(example_bytes("segment_batch.json"))
    assert exit_code == 2
    assert [signal.event_id for signal in signals] == ["b-1", "b-2", "b-4"]
    assert errors == ["leadq normalize: input, item 2: event: required but missing or empty"]


def test_format_and_channel_options(run: Run) -> None:
    stdin = example_bytes("segment_track.json")
    exit_code, signals, _ = run(stdin, "--format", "rudderstack", "--channel", "product")
    assert exit_code == 0
    assert (signals[0].source, signals[0].channel) == ("rudderstack", "product")
    exit_code, signals, errors = run(stdin, "--channel", "email")
    assert (exit_code, signals) == (2, [])
    assert "segment messages belong on the web or product channel" in errors[0]


def test_the_size_limit_applies_per_document(run: Run) -> None:
    exit_code, signals, errors = run(example_bytes("postmark_open.json"), "--max-bytes", "64")
    assert (exit_code, signals) == (2, [])
    assert "over the limit of 64 bytes" in errors[0]


def test_json_lines_are_separate_deliveries_for_the_burst_rule(run: Run) -> None:
    document = json.loads(example_bytes("sendgrid_scanner_burst.json"))
    _, as_one_batch, _ = run(as_line(document))
    _, line_by_line, _ = run(b"".join(as_line(event) for event in document))
    assert sum(signal.is_bot for signal in as_one_batch) == 3
    assert sum(signal.is_bot for signal in line_by_line) == 0


def test_empty_input_is_fine(run: Run) -> None:
    assert run(b"") == (0, [], [])
    assert run(b"\n  \n") == (0, [], [])


def test_output_is_the_signal_json(run: Run) -> None:
    _, [signal], _ = run(example_bytes("postmark_click.json"))
    line = signal.model_dump_json()
    assert json.loads(line)["source"] == "postmark"


def test_the_leadq_command_line_dispatches_to_normalize(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import cli

    stdin = as_line({"hello": "world"}) + as_line(json.loads(example_bytes("postmark_open.json")))
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(stdin)))
    assert cli.main(["normalize", "--format", "auto"]) == 2
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 1
    assert "line 1, item 0: unknown event format" in captured.err
