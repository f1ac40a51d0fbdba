"""The floor under the RPC figures: bare ZeroMQ + msgpack between two processes, no hub code.

Measured in the same run as `rpc.roundtrip`, so the protocol's own overhead reads as a ratio
that holds on any machine, however fast or noisy.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Final

import msgpack
import zmq

from pajamas.perf.timing import NS_PER_US, time_calls

# An echo server that answers until it receives b"stop"; the hub is not imported.  It prints
# the endpoint it bound (a tcp one gets its port then).
_ECHO: Final = """
import sys, zmq
ctx = zmq.Context()
sock = ctx.socket(zmq.ROUTER)
sock.bind(sys.argv[1])
print(sock.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)
while True:
    frames = sock.recv_multipart()
    if frames[-1] == b"stop":
        break
    sock.send_multipart(frames)
"""


def raw_roundtrip_us(workdir: Path, calls: int, warmup: int, *,
                     tcp: bool = False) -> list[float]:
    """Round trips (µs) of a 2-frame msgpack request to a bare ROUTER echo in another process.

    Over an ipc socket where the OS has them (as the core's own), else (or with tcp) loopback
    tcp, as on Windows.
    """
    endpoint = ("tcp://127.0.0.1:*" if tcp or os.name != "posix"
                else f"ipc://{workdir / 'raw-echo.sock'}")
    server = subprocess.Popen([sys.executable, "-c", _ECHO, endpoint], stdout=subprocess.PIPE)
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    try:
        assert server.stdout is not None
        bound = server.stdout.readline().decode().strip()
        assert bound.split(":", 1)[0] in ("ipc", "tcp"), f"the echo server said {bound!r}"
        sock.connect(bound)
        body = msgpack.packb({"v": 1, "id": 1, "method": "system.ping", "params": {}})

        def once() -> None:
            sock.send_multipart([b"s" * 32, body])
            msgpack.unpackb(sock.recv_multipart()[1])

        return time_calls(once, calls, warmup=warmup, ns_per_unit=NS_PER_US)
    finally:
        sock.send_multipart([b"", b"stop"])
        server.wait(timeout=10)
        sock.close(linger=0)
        ctx.term()


def overhead(samples: list[float], floor: list[float]) -> dict[str, float]:
    """The floor's median and the ratio of the samples' median to it."""
    floor_median = statistics.median(floor)
    return {"raw_zmq_p50_us": floor_median,
            "overhead_ratio": statistics.median(samples) / floor_median}
