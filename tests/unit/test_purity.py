"""The engine (``leadq/``, except its CLI) must not import Kafka, Redis or Faust."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "leadq"
FORBIDDEN = ("faust", "redis", "aiokafka", "mode", "streams", "agents")


def _engine_files() -> list[Path]:
    return [p for p in ENGINE.rglob("*.py") if "cli" not in p.relative_to(ENGINE).parts]


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_engine_sources_import_no_io_library() -> None:
    offenders = {
        str(path.relative_to(ENGINE.parent)): sorted(_imported_roots(path) & set(FORBIDDEN))
        for path in _engine_files()
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    assert len(offenders) >= 10  # the scan really saw the engine


def test_importing_the_engine_loads_no_io_library() -> None:
    modules = [f"leadq.{p.stem}" for p in _engine_files() if p.stem not in ("__init__", "__main__")]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"
