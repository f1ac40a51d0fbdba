"""A cache process killed mid-write leaves nothing that reads as a wrong value."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from pajamas.cache.tiered import Cache, CacheFolders
from tests.cache.fixtures import writer

ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(writer.__file__)


class Acknowledged:
    """What the killed writer had completed: the lowest version each key may still show, and
    the generation each tag had reached."""

    def __init__(self, lines: list[str]) -> None:
        self.floor: defaultdict[str, int] = defaultdict(int)
        self.generation: defaultdict[str, int] = defaultdict(int)
        self.sets = 0
        for line in lines:
            kind, name, *number = line.split()
            if kind == "set":
                self.floor[name] = int(number[0])
                self.sets += 1
            elif kind == "del":  # only a later version may show
                self.floor[name] += 1
            elif kind == "tag":
                self.generation[name] = int(number[0])


def run_and_kill(root: Path, seed: int, after_lines: int) -> list[str]:
    """Run the writer, SIGKILL it after it printed after_lines lines; its complete lines."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "backend"), str(ROOT)])}
    child = subprocess.Popen([sys.executable, str(WRITER), str(root), str(seed)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    lines = []
    deadline = time.monotonic() + 60
    while len(lines) < after_lines and time.monotonic() < deadline:
        line = child.stdout.readline()
        assert line, f"the writer stopped: {child.stderr.read() if child.stderr else ''}"
        lines.append(line)
    child.send_signal(signal.SIGKILL)
    rest = child.stdout.read()
    child.wait()
    assert child.returncode == -signal.SIGKILL
    text = "".join(lines) + rest
    complete = text if text.endswith("\n") else text.rsplit("\n", 1)[0]  # a torn last line
    return [line for line in complete.splitlines() if line != "ready"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_killed_writer_leaves_no_wrong_value(tmp_path: Path, seed: int) -> None:
    acked = Acknowledged(run_and_kill(tmp_path, seed, after_lines=150 + 40 * seed))
    assert acked.sets > 50
    cache = Cache([writer.CONFIG], CacheFolders.under(tmp_path))
    try:
        found = [cache.get(writer.NS, f"k{i}") for i in range(writer.KEYS)]
    finally:
        cache.close()
    for value in filter(None, found):
        key, version = value["key"], value["version"]
        assert value == writer.make_value(key, version, value["tag"], value["generation"],
                                          len(value["pad"])), "a damaged value came back"
        assert version >= acked.floor[key], f"{key} v{version} was replaced or deleted"
        assert value["generation"] >= acked.generation[value["tag"]], "an invalidated value"
    assert any(found), "nothing survived: the test would prove nothing"
    assert not list((tmp_path / "cold").rglob("*.tmp")), "a torn temporary file stayed"
