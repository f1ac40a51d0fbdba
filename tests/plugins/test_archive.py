"""Unpacking a plugin: zip-slip, absolute paths, symlinks and oversized plugins are refused."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from pajamas.errors import InvalidParams
from pajamas.plugins.archive import Limits, file_hashes, unpack
from tests.plugins.conftest import write_plugin


def zip_of(path: Path, members: dict[str, bytes]) -> Path:
    """A .zip at path holding the members."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_folder_is_copied_with_every_file(tmp_path: Path) -> None:
    source = write_plugin(tmp_path / "src", "demo")
    (source / "lib").mkdir()
    (source / "lib" / "util.py").write_text("X = 1\n")
    unpack(source, tmp_path / "out", Limits())
    assert set(file_hashes(tmp_path / "out")) == {"plugin.toml", "main.py", "lib/util.py"}
    assert file_hashes(tmp_path / "out") == file_hashes(source)


@pytest.mark.parametrize("top", ["", "demo/"])
def test_a_zip_unpacks_with_or_without_a_top_folder(tmp_path: Path, top: str) -> None:
    source = zip_of(tmp_path / "p.zip", {f"{top}plugin.toml": b"x", f"{top}main.py": b"y"})
    unpack(source, tmp_path / "out", Limits())
    assert sorted(file_hashes(tmp_path / "out")) == ["main.py", "plugin.toml"]


@pytest.mark.parametrize(("member", "rule"), [
    ("../evil.py", "climbs out"),
    ("demo/../../evil.py", "climbs out"),
    ("/etc/evil.py", "absolute path"),
    ("C:/evil.py", "absolute path"),
])
def test_zip_slip_is_refused_before_anything_is_written(tmp_path: Path, member: str,
                                                         rule: str) -> None:
    source = zip_of(tmp_path / "p.zip", {"plugin.toml": b"x", member: b"boom"})
    with pytest.raises(InvalidParams, match=rule):
        unpack(source, tmp_path / "out", Limits())
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.py").exists()


def test_a_symlink_in_a_zip_is_refused(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("link.py")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(tmp_path / "p.zip", "w") as archive:
        archive.writestr("plugin.toml", b"x")
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(InvalidParams, match="symlink"):
        unpack(tmp_path / "p.zip", tmp_path / "out", Limits())


def test_a_symlink_in_a_folder_is_refused(tmp_path: Path) -> None:
    source = write_plugin(tmp_path / "src", "demo")
    (source / "secrets.txt").symlink_to("/etc/passwd")
    with pytest.raises(InvalidParams, match=r"secrets\.txt is a symlink"):
        unpack(source, tmp_path / "out", Limits())


@pytest.mark.parametrize(("limits", "rule"), [
    (Limits(max_files=2), "more than 2 files"),
    (Limits(max_bytes=100), "more than 100 bytes"),
])
def test_size_and_file_count_limits_hold(tmp_path: Path, limits: Limits, rule: str) -> None:
    members = {"plugin.toml": b"x", "main.py": b"y" * 80, "extra.py": b"z" * 80}
    with pytest.raises(InvalidParams, match=rule):
        unpack(zip_of(tmp_path / "p.zip", members), tmp_path / "out", limits)
    source = write_plugin(tmp_path / "src", "demo")
    (source / "extra.py").write_text("z" * 80)
    with pytest.raises(InvalidParams, match=rule):
        unpack(source, tmp_path / "o2", limits)
    assert not (tmp_path / "out").exists() and not (tmp_path / "o2").exists()


def test_a_file_that_is_neither_folder_nor_zip_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(InvalidParams, match=r"neither a plugin folder nor a \.zip"):
        unpack(tmp_path / "x.txt", tmp_path / "out", Limits())


def test_a_zip_holding_a_file_twice_is_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "p.zip", "w") as archive:
        archive.writestr("plugin.toml", b"x")
        archive.writestr("main.py", b"y")
        archive.writestr("./main.py", b"z")
    with pytest.raises(InvalidParams, match="twice"):
        unpack(tmp_path / "p.zip", tmp_path / "out", Limits())
