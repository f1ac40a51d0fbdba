"""The processes the monitor samples: the core, the shell, plugin hosts, anything registered."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Final, NamedTuple, final

from pajamas.errors import InvalidParams

_ROLE: Final = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# No dots: a metric is "<name>.<field>", so a name must not contain the separator.
_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:/@+-]{0,79}$")


class Watched(NamedTuple):  # not a dataclass: this module loads before the core serves
    """A process the monitor samples: its pid, its role ("core", "shell", "plugin_host", …)
    and the unique name its metrics go by ("core.rss", "plugin:alice/echo.rss")."""

    pid: int
    role: str
    name: str
    since: float


@final
class Watchlist:
    """Thread-safe set of watched processes; a name belongs to one process at a time."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._by_pid: dict[int, Watched] = {}

    def watch(self, pid: int, role: str, name: str | None = None) -> Watched:
        """Sample pid from now on as role under name (default "<role>-<pid>").

        A name already used by another pid moves to this one (a restarted shell keeps its
        history); watching a pid again changes its role and name.
        """
        entry = Watched(pid, _checked_role(role), _checked_name(name or f"{role}-{pid}"),
                        self._clock())
        with self._lock:
            for other in [w for w in self._by_pid.values() if w.name == entry.name]:
                del self._by_pid[other.pid]
            self._by_pid[pid] = entry
        return entry

    def unwatch(self, pid: int) -> Watched | None:
        """Stop sampling pid; the entry that was removed, if any."""
        with self._lock:
            return self._by_pid.pop(pid, None)

    def items(self) -> list[Watched]:
        """The watched processes, in the order they were added."""
        with self._lock:
            return list(self._by_pid.values())

    def __len__(self) -> int:
        return len(self._by_pid)


def _checked_role(role: str) -> str:
    if not _ROLE.match(role):
        raise InvalidParams(f"a role is a short lowercase name such as 'shell' or "
                            f"'plugin_host', not {role!r:.60}", field="role")
    return role


def _checked_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidParams(f"a process name has letters, digits and _:/@+- (no dots), "
                            f"at most 80 of them, not {name!r:.90}", field="name")
    return name
