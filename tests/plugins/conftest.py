"""Plugin test helpers: the bundled text-stats plugin and a writer of plugin folders."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEXT_STATS = ROOT / "plugins" / "text-stats"

MANIFEST = """\
[plugin]
name = "{name}"
version = "1.0.0"
description = "{description}"
entry = "main.py"
api = 1

[functions.run]
description = "Run."
pure = true
"""


def write_plugin(folder: Path, name: str, description: str = "A test plugin.") -> Path:
    """A minimal valid plugin folder at folder."""
    folder.mkdir(parents=True)
    (folder / "plugin.toml").write_text(MANIFEST.format(name=name, description=description))
    (folder / "main.py").write_text("def run():\n    return 1\n")
    return folder


@pytest.fixture
def text_stats() -> Path:
    """The bundled text-stats plugin's folder."""
    return TEXT_STATS
