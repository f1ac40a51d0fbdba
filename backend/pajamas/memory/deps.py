"""`MemoryDeps`: what the memory service and its maintenance jobs use of the core, and no more."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pajamas.cache.service import CacheService
    from pajamas.config import Settings
    from pajamas.context import Clock, Publish
    from pajamas.faults import Faults
    from pajamas.personas.service import PersonaService
    from pajamas.stages import Slot
    from pajamas.tasks.manager import TaskManager


@dataclass(frozen=True)
class MemoryDeps:
    """The memory's dependencies, given by `memory.methods.install`.

    `personas` must be up before memory is used (every call checks its persona); `cache` and
    `tasks` are used once they are up (searches and embeddings go through the cache, long
    work runs as tasks) and worked around until then.
    """

    home: Path
    settings: Settings
    clock: Clock
    publish: Publish
    personas: Slot[PersonaService]
    cache: Slot[CacheService]
    tasks: Slot[TaskManager]
    faults: Faults  # damaged tables and journals: quarantined, reported, held for health

    @property
    def folder(self) -> Path:
        """Where the persona tables and journals live."""
        return self.home / "memory"
