"""Finding the web UI: the installed wheel's copy first, else the repository's."""

from __future__ import annotations

from pathlib import Path

import pytest

import pajamas
from pajamas.errors import NotFound
from pajamas.shell.webui import INDEX, find_webui


def layout(root: Path, *folders: str) -> Path:
    """A fake install: root/backend/pajamas, with index.html in the given folders."""
    package = root / "backend" / "pajamas"
    package.mkdir(parents=True)
    for folder in folders:
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / INDEX).write_text("<!doctype html>")
    return package


def test_this_checkout_finds_the_repository_webui() -> None:
    found = find_webui()
    assert (found / INDEX).is_file()
    assert (found / "src" / "bridge.js").is_file()
    assert found == Path(pajamas.__file__).parents[2] / "webui"


def test_the_wheel_copy_comes_first(tmp_path: Path) -> None:
    package = layout(tmp_path, "backend/pajamas/webui", "webui")
    assert find_webui(package) == package / "webui"


def test_an_editable_install_uses_the_repository(tmp_path: Path) -> None:
    package = layout(tmp_path, "webui")
    assert find_webui(package) == tmp_path / "webui"


def test_missing_webui_names_where_it_looked(tmp_path: Path) -> None:
    package = layout(tmp_path)
    (tmp_path / "webui").mkdir()  # a folder without index.html does not count
    with pytest.raises(NotFound) as caught:
        find_webui(package)
    assert str(package / "webui") in caught.value.message
    assert str(tmp_path / "webui") in caught.value.message
    assert "reinstall" in caught.value.message
