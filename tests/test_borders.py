"""Each border maps its dependency's exceptions onto the error tree."""

from __future__ import annotations

import errno
import sqlite3
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import zmq

from pajamas.borders import (
    LOW_SPACE_BYTES,
    free_bytes,
    lancedb_errors,
    mount_point,
    no_space,
    psutil_errors,
    zmq_errors,
)
from pajamas.errors import DiskFull, Internal, NotFound


def test_zmq_errors_become_internal_with_what_was_done() -> None:
    ctx = zmq.Context()
    sock = ctx.socket(zmq.PUB)
    try:
        with pytest.raises(Internal, match="binding nonsense://x"), zmq_errors("binding", "nonsense://x"):
            sock.bind("nonsense://x")
    finally:
        sock.close()
        ctx.term()


def test_psutil_missing_process_is_not_found() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with pytest.raises(NotFound, match=str(child.pid)), psutil_errors(child.pid):
        psutil.Process(child.pid).memory_info()


@pytest.mark.parametrize("raised", [
    OSError(errno.ENOSPC, "No space left on device"),
    OSError(errno.EDQUOT, "Disk quota exceeded"),
    RuntimeError("lance error: LanceError(IO): Generic LocalFileSystem error: Unable to copy "
                 "data to file: No space left on device (os error 28), commit.rs:1663:50"),
    sqlite3.OperationalError("database or disk is full"),
])
def test_every_wording_of_no_space_becomes_disk_full(raised: Exception, tmp_path: Path) -> None:
    with pytest.raises(DiskFull) as caught, lancedb_errors("adding memories", "p1", tmp_path):
        raise raised
    message = caught.value.message
    assert message.startswith("no space left on the disk while adding memories")
    assert f"free space on {mount_point(tmp_path)} (" in message
    assert message.endswith("and retry; nothing acknowledged was lost")
    assert caught.value.data["free"] == free_bytes(tmp_path)


def test_a_disk_io_error_is_disk_full_only_when_space_is_low(tmp_path: Path) -> None:
    error = sqlite3.OperationalError("disk I/O error")
    assert no_space(error, tmp_path) is (free_bytes(tmp_path) < LOW_SPACE_BYTES)
    assert not no_space(OSError(errno.EIO, "Input/output error"), tmp_path)


def test_other_lancedb_failures_stay_internal(tmp_path: Path) -> None:
    with pytest.raises(Internal, match="LanceDB failed"), lancedb_errors("x", "p1", tmp_path):
        raise ValueError("Table 'p1' was not found")


def test_the_mount_point_of_a_missing_path_is_its_parents(tmp_path: Path) -> None:
    assert mount_point(tmp_path / "not" / "made") == mount_point(tmp_path)
    assert mount_point(Path("/")) == Path("/")
