"""Each border maps its dependency's exceptions onto the error tree."""

from __future__ import annotations

import subprocess
import sys

import psutil
import pytest
import zmq

from pajamas.borders import psutil_errors, zmq_errors
from pajamas.errors import Internal, NotFound


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
