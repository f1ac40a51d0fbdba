"""What a plugin host may read: its plugin's folder, the Python runtime and the system's
shared libraries (and, with the network permission, name resolution and certificates);
never the hub's home."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Final

#: Read-only for every host: the Python runtime and the system's shared libraries.
RUNTIME_PATHS: Final = ("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/local/lib",
                        "/usr/share/zoneinfo", "/dev/urandom", "/dev/zero")
#: Read-only for hosts with the network permission: name resolution and certificates.
NETWORK_PATHS: Final = ("/etc/ssl", "/etc/ca-certificates", "/usr/share/ca-certificates",
                        "/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf",
                        "/etc/gai.conf", "/etc/host.conf")


def readable_paths(folder: Path | None, network: bool, home: Path) -> list[str]:
    """The paths a host may read: its plugin's folder and the runtime (never the home)."""
    paths = [sys.prefix, sys.base_prefix, *RUNTIME_PATHS, *(NETWORK_PATHS if network else ())]
    outside = [p for p in paths if not _contains(Path(p), home)]
    return ([str(folder)] if folder is not None else []) + sorted(set(outside))


def _contains(folder: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(Path(folder).resolve())
    except ValueError:
        return False
    return True
