"""The example rules (and routing) files shipped inside the leadq distribution.

They live in the repository's ``rules/`` folder, which the build installs as the data
package ``leadq_rules`` (pyproject.toml), so a plain ``pip install`` has them: a worker
started without ``LEADQ_RULES_PATH`` runs the example rules, and ``leadq rules example``
prints them. Editable installs and a source checkout read the same folder.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: The import name the ``rules/`` folder is installed under.
EXAMPLES_PACKAGE = "leadq_rules"
EXAMPLE_RULES = "example.yaml"
#: Suffixes of the files the package carries (see pyproject.toml's package data).
SUFFIXES = (".yaml", ".yml", ".toml")


def examples_dir() -> Path:
    """The folder holding the shipped example files (a real folder: wheels install
    unzipped)."""
    return Path(str(resources.files(EXAMPLES_PACKAGE)))


def example_rules_path() -> Path:
    """The shipped example rules file: the default of ``LEADQ_RULES_PATH``."""
    return examples_dir() / EXAMPLE_RULES


def example_files() -> list[Path]:
    """Every shipped example file, the rules file first, then by name."""
    found = [p for p in examples_dir().iterdir() if p.suffix in SUFFIXES and p.is_file()]
    return sorted(found, key=lambda path: (path.name != EXAMPLE_RULES, path.name))
