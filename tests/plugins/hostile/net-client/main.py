"""Hostile: reaches for the network without the permission, and reports what answered."""

from __future__ import annotations

import socket
from typing import Any

OUTSIDE = (("1.1.1.1", 80), ("8.8.8.8", 53))


def probe(port: int, host: str = "127.0.0.1") -> dict[str, Any]:
    """Try host:port, DNS and outside addresses: {"reached": [what answered], "errors": {...}}."""
    reached: list[str] = []
    errors: dict[str, str] = {}
    for name, attempt in (
        (f"tcp {host}:{port}", lambda: _talk(host, port)),
        ("dns example.com", lambda: socket.getaddrinfo("example.com", 80)),
        *((f"tcp {h}:{p}", lambda h=h, p=p: _talk(h, p)) for h, p in OUTSIDE),
    ):
        try:
            attempt()
        except OSError as exc:
            errors[name] = f"{type(exc).__name__}: {exc}"
        else:
            reached.append(name)
    return {"reached": reached, "errors": errors}


def _talk(host: str, port: int) -> None:
    with socket.create_connection((host, port), timeout=2) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\nHost: plugin\r\n\r\n")
        sock.recv(16)
