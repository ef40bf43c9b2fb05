"""Imports flow one way: schemas ← leadq ← streams ← agents ← cli (and the gateway).

Every module's imports (also the lazy ones inside functions) are read with ``ast``; a
module may import only its own layer and the layers below it. The pure layers
(``schemas``, ``leadq``) may not import any I/O library either.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Bottom to top: a layer may import the ones before it.
LAYERS = ("schemas", "leadq", "streams", "agents", "gateway", "cli")
IO_LIBRARIES = ("faust", "redis", "aiokafka", "mode", "aiohttp", "uvloop", "socket", "asyncio")


def _files(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import; use absolute imports"
            assert node.module is not None
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_the_layers_below_it(layer: str) -> None:
    above = set(LAYERS[LAYERS.index(layer) + 1 :]) | {"bench", "tests"}
    files = _files(layer)
    assert len(files) >= 3, f"the scan saw no {layer} sources"
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_roots(path) & above) for path in files
    }
    assert {name: found for name, found in offenders.items() if found} == {}


@pytest.mark.parametrize("layer", ["schemas", "leadq"])
def test_the_pure_layers_import_no_io_library(layer: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_roots(path) & set(IO_LIBRARIES))
        for path in _files(layer)
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_importing_the_engine_loads_no_io_library() -> None:
    modules = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for layer in ("schemas", "leadq")
        for path in _files(layer)
    ]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + f"print(sorted(m for m in sys.modules if m.split('.')[0] in {IO_LIBRARIES[:6]!r}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


def test_the_check_sees_a_wrong_way_import(tmp_path: Path) -> None:
    """The reader finds imports inside functions too (a check that cannot fail is none)."""
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from agents.worker import build_app\n    import redis\n")
    assert _imported_roots(source) == {"agents", "redis"}
