"""What every feature may use: the core's `Context`, and the small values features hand it.

A feature is installed by one function of its ``methods`` module, ``install(ctx, …)``, which
takes this context plus the slots of the services it reads, typed (``personas:
Slot[PersonaService]``), and returns the slot of its own service.  The composition root
(`pajamas.app`) is the only caller; no feature imports it.  Start-up order follows from those
arguments: a stage names the slots it needs (`Stages.add(…, needs=(personas,))`), and a slot
only exists once the stage that fills it was added.

This module is a leaf: it imports nothing of the hub at run time, so every layer may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypedDict

if TYPE_CHECKING:
    from pajamas.config import Settings
    from pajamas.rpc.methods import Registry
    from pajamas.stages import Stages

Status = Literal["ok", "degraded", "failing"]
Publish = Callable[[str, Any], None]
Clock = Callable[[], float]
Gauge = Callable[[], float | None]


class Check(TypedDict):
    """One health check's verdict, as `system.health` lists it."""

    status: Status
    detail: str


@dataclass(frozen=True)
class Shed:
    """A way to give memory back that loses no data; release() returns the bytes freed
    (an estimate, 0 when unknown).  The monitor calls every shed under memory pressure."""

    name: str
    release: Callable[[], int]


class Context(Protocol):
    """The core as a feature sees it: where it lives, how it is set, and where to hook in."""

    @property
    def home(self) -> Path:
        """The home folder the core serves."""

    @property
    def settings(self) -> Settings:
        """The settings in force (frozen)."""

    @property
    def registry(self) -> Registry:
        """Where a feature adds its RPC methods."""

    @property
    def stages(self) -> Stages:
        """Where a feature adds its start-up stage."""

    def clock(self) -> float:
        """Now, in seconds since the epoch (injected: tests pass their own)."""

    def publish(self, topic: str, data: Any) -> None:
        """Send an event to every subscriber."""

    def add_gauge(self, name: str, read: Gauge) -> None:
        """A figure the monitor records every tick ("cache.hot_bytes")."""

    def add_shed(self, shed: Shed) -> None:
        """Memory the monitor may ask back under pressure, losing no data."""

    def add_check(self, name: str, check: Callable[[], Check]) -> None:
        """A `system.health` check."""

    def add_info(self, name: str, read: Callable[[], Any]) -> None:
        """A key of `system.info`, read at each call ("containment")."""
