"""Logging for the core: a rotating file under `<home>/logs` and standard error."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path
from typing import Final

LOG_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup(home: Path, level: str) -> Path:
    """Send the hub's logs to `<home>/logs/core.log` (rotated) and stderr; returns the file."""
    folder = home / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "core.log"
    file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=5 * 1024 * 1024,
                                                        backupCount=3, encoding="utf-8")
    stream = logging.StreamHandler()
    formatter = logging.Formatter(LOG_FORMAT)
    root = logging.getLogger()
    for handler in (file_handler, stream):
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level.upper())
    return path
