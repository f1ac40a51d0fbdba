"""Providers' API keys: one JSON map in a file only the user can read (0600), under the home.

Keys are never in settings.toml or the metadata database, never logged, never returned by a
method (a provider says `has_key` only) and never reach plugins, which cannot read the home.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Final, final

from pajamas.errors import Internal

FILENAME: Final = "secrets/provider-keys.json"


@final
class KeyFile:
    """The keys by provider id, in `<home>/secrets/provider-keys.json` (folder 0700, file 0600)."""

    def __init__(self, home: Path) -> None:
        self.path = home / FILENAME
        self._lock = threading.Lock()

    def get(self, provider: str) -> str | None:
        """The key of provider, or None."""
        with self._lock:
            return self._read().get(provider)

    def has(self, provider: str) -> bool:
        """Whether provider has a key."""
        return self.get(provider) is not None

    def set(self, provider: str, key: str | None) -> None:
        """Keep key for provider (None or "": forget it)."""
        with self._lock:
            keys = self._read()
            if key:
                keys[provider] = key
            else:
                keys.pop(provider, None)
            self._write(keys)

    def _read(self) -> dict[str, str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise Internal(f"cannot read the provider keys file {self.path}: {exc.strerror}",
                           path=str(self.path)) from None
        try:
            keys = json.loads(text)
        except ValueError:  # never show its content: it holds secrets
            raise Internal(f"the provider keys file {self.path} is not valid JSON; fix or "
                           "delete it and set the keys again", path=str(self.path)) from None
        return {str(k): str(v) for k, v in keys.items()} if isinstance(keys, dict) else {}

    def _write(self, keys: dict[str, str]) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = self.path.with_suffix(".tmp")
        # Created 0600 from the start: a key is never readable by others, even for a moment.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(keys, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, self.path)
