"""Unpack a plugin, from a folder or a .zip, into a staging folder, refusing anything unsafe.

A .zip member may not be absolute, climb out with ``..``, be a symlink or a device; a folder
may not hold symlinks.  Both are held to `Limits` (file count, total size) before anything is
written, so a zip bomb stops at its directory.
"""

from __future__ import annotations

import hashlib
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from pajamas.errors import InvalidParams

CHUNK: Final = 1 << 16


@dataclass(frozen=True)
class Limits:
    """The most files and bytes a plugin may hold."""

    max_files: int = 1000
    max_bytes: int = 50 * 1024 * 1024


def unpack(source: Path, target: Path, limits: Limits) -> None:
    """Copy the plugin at source (a folder or a .zip) into the new folder target."""
    if source.is_dir():
        _copy_folder(source, target, limits)
    elif source.is_file() and zipfile.is_zipfile(source):
        _extract_zip(source, target, limits)
    else:
        raise InvalidParams(f"{source} is neither a plugin folder nor a .zip of one",
                            field="path")


def file_hashes(folder: Path) -> dict[str, str]:
    """The SHA-256 of every file under folder, by its relative POSIX path."""
    return {path.relative_to(folder).as_posix(): sha256(path)
            for path in sorted(folder.rglob("*")) if path.is_file()}


def sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _refuse(source: Path, why: str) -> InvalidParams:
    return InvalidParams(f"{source}: {why}; the plugin was not installed", field="path")


def _copy_folder(source: Path, target: Path, limits: Limits) -> None:
    files, size = 0, 0
    for path in source.rglob("*"):
        if path.is_symlink():
            raise _refuse(source, f"{path.relative_to(source)} is a symlink, which plugins may "
                                  "not hold")
        if path.is_file():
            files, size = files + 1, size + path.stat().st_size
            _check_limits(source, files, size, limits)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))


def _extract_zip(source: Path, target: Path, limits: Limits) -> None:
    try:
        _extract_members(source, target, limits)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError) as exc:
        raise _refuse(source, f"it is not a readable .zip ({exc})") from exc
    except FileExistsError as exc:
        raise _refuse(source, f"it holds {exc.filename} twice") from exc
    except (NotADirectoryError, IsADirectoryError) as exc:
        raise _refuse(source, f"it holds {exc.filename} both as a file and as a folder") from exc


def _extract_members(source: Path, target: Path, limits: Limits) -> None:
    with zipfile.ZipFile(source) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        for member in members:
            _check_member(source, member)
        _check_limits(source, len(members), sum(m.file_size for m in members), limits)
        _check_paths(source, members)
        root = _common_root(members)
        target.mkdir(parents=True)
        for member in members:
            _write_member(archive, member, target / _relative(member, root), limits)


def _check_member(source: Path, member: zipfile.ZipInfo) -> None:
    path = PurePosixPath(member.filename.replace("\\", "/"))
    if not path.parts or path.parts == (".",):
        raise _refuse(source, f"a member has no file name ({member.filename!r})")
    if path.is_absolute() or member.filename.startswith("/") or ":" in path.parts[0]:
        raise _refuse(source, f"{member.filename!r} is an absolute path")
    if ".." in path.parts:
        raise _refuse(source, f"{member.filename!r} climbs out of the plugin with ..")
    kind = stat.S_IFMT(member.external_attr >> 16)  # 0 when the zip does not record it
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise _refuse(source, f"{member.filename!r} is a symlink or special file, which "
                              "plugins may not hold")


def _check_paths(source: Path, members: list[zipfile.ZipInfo]) -> None:
    """Refuse a member held twice, or a file that is also another member's folder."""
    files: set[PurePosixPath] = set()
    for member in members:
        path = PurePosixPath(member.filename.replace("\\", "/"))
        if path in files:
            raise _refuse(source, f"it holds {member.filename!r} twice")
        files.add(path)
    for path in files:
        clash = next((parent for parent in path.parents if parent in files), None)
        if clash is not None:
            raise _refuse(source, f"it holds {str(clash)!r} both as a file and as a folder")


def _check_limits(source: Path, files: int, size: int, limits: Limits) -> None:
    if files > limits.max_files:
        raise _refuse(source, f"it holds more than {limits.max_files} files")
    if size > limits.max_bytes:
        raise _refuse(source, f"it holds more than {limits.max_bytes} bytes")


def _common_root(members: list[zipfile.ZipInfo]) -> str:
    """The one top folder every member shares ("text-stats/"), or "" when plugin.toml is at top."""
    tops = {PurePosixPath(m.filename).parts[0] for m in members}
    if len(tops) == 1 and not any(m.filename == "plugin.toml" for m in members):
        top = tops.pop()
        if all(len(PurePosixPath(m.filename).parts) > 1 for m in members):
            return top
    return ""


def _relative(member: zipfile.ZipInfo, root: str) -> PurePosixPath:
    path = PurePosixPath(member.filename.replace("\\", "/"))
    return path.relative_to(root) if root else path


def _write_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, path: Path,
                  limits: Limits) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with archive.open(member) as source, path.open("xb") as target:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > limits.max_bytes:  # the directory's sizes may lie
                raise _refuse(Path(archive.filename or "zip"),
                              f"{member.filename!r} is larger than it claims")
            target.write(chunk)
