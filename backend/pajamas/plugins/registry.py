"""`PluginRegistry`: installed plugins, their file hashes and the personas they are enabled for.

A plugin lives in `<home>/plugins/<name>/<version>/`; the metadata database (tables `plugins`,
`plugin_files`, `plugin_enabled`) is the source of truth.  Install unpacks into a staging folder,
checks the manifest, then moves the folder into place and records the SHA-256 of every file in
one transaction; `verify` re-hashes the folder and refuses a plugin whose files changed.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import json
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final, final

from pajamas.config import Settings
from pajamas.errors import Conflict, InvalidParams, NotFound, PluginModified
from pajamas.plugins import archive, manifest
from pajamas.plugins.archive import Limits
from pajamas.plugins.manifest import Manifest, Quotas
from pajamas.plugins.model import Plugin
from pajamas.store.metadata import MetadataStore

FOLDER: Final = "plugins"
STAGING: Final = ".staging"
MAX_QUERY: Final = 200
_SELECT: Final = "SELECT name, version, description, manifest, installed_at FROM plugins "
_SEARCH: Final = "WHERE name LIKE ?1 ESCAPE '\\' OR description LIKE ?1 ESCAPE '\\' "
_BY_NAME: Final = _SELECT + "WHERE name = ?"
_ORDER: Final = "ORDER BY name LIMIT ? OFFSET ?"
#: (count, page) queries, without and with a search.
_COUNT_SEARCH: Final = ("SELECT count(*) FROM plugins "
                        "WHERE name LIKE ?1 ESCAPE '\\' OR description LIKE ?1 ESCAPE '\\'")
_LISTS: Final = {False: ("SELECT count(*) FROM plugins", _SELECT + _ORDER),
                 True: (_COUNT_SEARCH, _SELECT + _SEARCH + _ORDER)}
RequirePersona = Callable[[str], None]
#: The manifest's parts a plugin map shows.
_SHOWN: Final = ("name", "version", "description", "permissions", "quotas", "functions",
                 "commands")


@final
class PluginRegistry:
    """Install, list, verify, enable and uninstall plugins."""

    def __init__(self, store: MetadataStore, home: Path, defaults: Quotas, *,
                 require_persona: RequirePersona, limits: Limits | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._store, self._defaults, self._clock = store, defaults, clock
        self._require_persona = require_persona
        self._limits = limits or Limits()
        self.folder = home / FOLDER
        self._install_lock = threading.Lock()

    def install(self, source: Path) -> Plugin:
        """Check and copy the plugin at source (folder or .zip), recording its file hashes."""
        with self._unpacked(source) as (staging, found), self._install_lock:
            self._place(staging, found)
        return self.get(found.name)

    @contextlib.contextmanager
    def _unpacked(self, source: Path) -> Iterator[tuple[Path, Manifest]]:
        """The plugin at source unpacked into a staging folder, and its checked manifest;
        the folder is removed afterwards."""
        if not source.exists():
            raise InvalidParams(f"{source} does not exist", field="path")
        staging = self.folder / STAGING / uuid.uuid4().hex
        try:
            archive.unpack(source, staging, self._limits)
            yield staging, self._read_manifest(staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def inspect(self, source: Path) -> dict[str, Any]:
        """The manifest of the plugin at source, checked as install checks it, installing nothing.

        A plugin map without `installed_at`, plus `installed`: whether one of its name is.
        """
        with self._unpacked(source) as (_, found):
            pass
        installed = bool(self._store.query("SELECT 1 FROM plugins WHERE name = ?",
                                           (found.name,)))
        shown = found.to_map()
        return {**{key: shown[key] for key in _SHOWN}, "installed": installed}

    def get(self, name: str) -> Plugin:
        """The installed plugin; `NotFound` if none has that name."""
        return _plugin(self._row(name))

    def list(self, *, offset: int = 0, limit: int = 50, query: str | None = None,
             ) -> dict[str, Any]:
        """A page of plugins by name, those whose name or description holds query."""
        if query is not None and len(query) > MAX_QUERY:
            raise InvalidParams(f"query must be at most {MAX_QUERY} characters", field="query")
        count, page = _LISTS[bool(query)]
        args: tuple[Any, ...] = (_like(query),) if query else ()
        total = int(self._store.query_one(count, args)[0])
        rows = self._store.query(page, (*args, limit, offset))
        return {"items": [_plugin(row) for row in rows], "total": total}

    def uninstall(self, name: str) -> None:
        """Forget the plugin (and every persona's enabling of it), then delete its folder."""
        self._row(name)
        with self._store.transaction() as db:
            db.execute("DELETE FROM plugins WHERE name = ?", (name,))
        shutil.rmtree(self.folder / name, ignore_errors=True)

    def set_enabled(self, persona: str, name: str, enabled: bool) -> bool:
        """Enable or disable the plugin for the persona; returns enabled."""
        self._require_persona(persona)
        self._row(name)
        sql = ("INSERT OR IGNORE INTO plugin_enabled (persona, plugin) VALUES (?, ?)" if enabled
               else "DELETE FROM plugin_enabled WHERE persona = ? AND plugin = ?")
        with self._store.transaction() as db:
            db.execute(sql, (persona, name))
        return enabled

    def enabled(self, persona: str) -> builtins.list[str]:
        """The names of the plugins enabled for the persona."""
        rows = self._store.query("SELECT plugin FROM plugin_enabled WHERE persona = ? "
                                 "ORDER BY plugin", (persona,))
        return [str(row[0]) for row in rows]

    def lowered(self, persona: str, name: str) -> dict[str, int]:
        """The quotas the persona lowered for the plugin (only those keys)."""
        rows = self._store.query("SELECT quotas FROM plugin_quotas WHERE persona = ? AND "
                                 "plugin = ?", (persona, name))
        return {str(k): int(v) for k, v in json.loads(rows[0][0]).items()} if rows else {}

    def quotas(self, persona: str, name: str) -> dict[str, Any]:
        """The plugin's quotas for the persona: {"quotas" (in force), "lowered", "plugin"}."""
        self._require_persona(persona)
        own = self.get(name)["quotas"]
        mine = self.lowered(persona, name)
        return {"quotas": {**own, **mine}, "lowered": mine, "plugin": own}

    def lower(self, persona: str, name: str, quotas: dict[str, Any]) -> dict[str, int]:
        """Set the quotas the persona lowers for the plugin (an empty map: none); returns them.

        Each must be a quota of the manifest, within its range, and at most the plugin's own.
        """
        self._require_persona(persona)
        own = self.get(name)["quotas"]
        if not isinstance(quotas, dict):
            raise InvalidParams("quotas must be a map of quota names to whole numbers",
                                field="quotas")
        for key, value in quotas.items():
            if key not in own:
                raise InvalidParams(f"no quota named {key!r}; the quotas are "
                                    f"{', '.join(sorted(own))}", field="quotas")
            manifest.check_quota(key, value)
            if value > own[key]:
                raise InvalidParams(f"{key} can only be lowered: at most {own[key]} for "
                                    f"{name!r}, not {value}", field="quotas")
        lowered = {key: int(value) for key, value in quotas.items() if value < own[key]}
        with self._store.transaction() as db:
            db.execute("DELETE FROM plugin_quotas WHERE persona = ? AND plugin = ?",
                       (persona, name))
            if lowered:
                db.execute("INSERT INTO plugin_quotas (persona, plugin, quotas) VALUES (?, ?, ?)",
                           (persona, name, json.dumps(lowered)))
        return lowered

    def verify(self, name: str) -> Manifest:
        """The plugin's manifest if its files match the recorded hashes, else `PluginModified`."""
        row = self._row(name)
        folder = self.path(name, str(row["version"]))
        recorded = {str(r[0]): str(r[1]) for r in self._store.query(
            "SELECT path, sha256 FROM plugin_files WHERE plugin = ?", (name,))}
        found = archive.file_hashes(folder) if folder.is_dir() else {}
        changed = _differences(recorded, found)
        if changed:
            raise PluginModified(
                f"plugin {name!r} was modified after it was installed ({changed}); it will not "
                "be loaded: install it again to trust the new files", plugin=name)
        return manifest.parse((folder / manifest.FILENAME).read_text(encoding="utf-8"),
                              self._defaults)

    def release(self, name: str) -> str:
        """What names this install of the plugin: its version and a digest of its install time
        and every file's SHA-256 as recorded at install, so a reinstall always gives another."""
        row = self._row(name)
        digest = hashlib.sha256(f"{row['version']}\0{row['installed_at']!r}".encode())
        for path, sha256 in self._store.query("SELECT path, sha256 FROM plugin_files "
                                              "WHERE plugin = ? ORDER BY path", (name,)):
            digest.update(f"\0{path}\0{sha256}".encode("utf-8", "surrogatepass"))
        return f"{row['version']}+{digest.hexdigest()[:32]}"

    def path(self, name: str, version: str) -> Path:
        """The folder the plugin's version is installed in."""
        return self.folder / name / version

    def _read_manifest(self, folder: Path) -> Manifest:
        path = folder / manifest.FILENAME
        if not path.is_file():
            raise InvalidParams(f"the plugin has no {manifest.FILENAME} at its top",
                                field="path")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidParams("plugin.toml is not UTF-8 text", field="manifest") from exc
        found = manifest.parse(text, self._defaults)
        if not (folder / found.entry).is_file():
            raise InvalidParams(f"plugin.toml: [plugin] entry {found.entry!r} is not a file in "
                                "the plugin's folder", field="entry")
        return found

    def _place(self, staging: Path, found: Manifest) -> None:
        if self._store.query("SELECT 1 FROM plugins WHERE name = ?", (found.name,)):
            raise Conflict(f"a plugin named {found.name!r} is installed; uninstall it first",
                           plugin=found.name)
        hashes = archive.file_hashes(staging)
        target = self.path(found.name, found.version)
        shutil.rmtree(self.folder / found.name, ignore_errors=True)  # a leftover, not recorded
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(target)
        try:
            self._record(found, hashes)
        except BaseException:
            shutil.rmtree(self.folder / found.name, ignore_errors=True)
            raise

    def _record(self, found: Manifest, hashes: dict[str, str]) -> None:
        row = (found.name, found.version, found.description, json.dumps(found.to_map()),
               self._clock())
        with self._store.transaction() as db:
            db.execute("INSERT INTO plugins (name, version, description, manifest, "
                       "installed_at) VALUES (?, ?, ?, ?, ?)", row)
            db.executemany("INSERT INTO plugin_files (plugin, path, sha256) VALUES (?, ?, ?)",
                           [(found.name, path, digest) for path, digest in hashes.items()])

    def _row(self, name: str) -> sqlite3.Row:
        rows = self._store.query(_BY_NAME, (name,))
        if not rows:
            raise NotFound(f"no plugin named {name!r} is installed", plugin=name,
                           hint="plugin.list")
        return rows[0]


def default_quotas(settings: Settings) -> Quotas:
    """The quotas a manifest gets for the keys it leaves out: the plugin_* settings."""
    return Quotas(**{key: getattr(settings, f"plugin_{key}") for key in asdict(Quotas())})


def _plugin(row: sqlite3.Row) -> Plugin:
    data = json.loads(row["manifest"])
    return Plugin(name=row["name"], version=row["version"], description=row["description"],
                  permissions=data["permissions"], quotas=data["quotas"],
                  functions=data["functions"], commands=data.get("commands", {}),
                  installed_at=row["installed_at"])


def _like(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _differences(recorded: dict[str, str], found: dict[str, str]) -> str:
    changed = sorted(p for p in recorded if p in found and recorded[p] != found[p])
    missing = sorted(set(recorded) - set(found))
    added = sorted(set(found) - set(recorded) - {p for p in found if "__pycache__" in p})
    parts = [f"{label}: {', '.join(paths)}" for label, paths in
             (("changed", changed), ("missing", missing), ("added", added)) if paths]
    return "; ".join(parts)
