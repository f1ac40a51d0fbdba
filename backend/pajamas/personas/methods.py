"""The persona.* methods, and `install`, which adds the personas to the core.

`install` adds the "personas" start-up stage, which builds the service on the metadata
database (`<home>/hub.db`).  Other services reach it through the returned slot.  The service
publishes `persona.changed` {"id", "change"} after each change, so open pages refresh.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pajamas.errors import InvalidParams
from pajamas.personas.avatars import data_url
from pajamas.personas.cards import PERSONA_FIELDS, check_card_data, write_card
from pajamas.personas.imports import card_files, import_card, import_files
from pajamas.personas.library import Filter, check_tag_list
from pajamas.personas.model import Persona  # at run time: the registry reads the hints
from pajamas.personas.png import write_png_card
from pajamas.rpc.methods import Registry
from pajamas.stages import Slot

if TYPE_CHECKING:
    from pajamas.context import Context
    from pajamas.personas.service import PersonaService
    from pajamas.store.metadata import MetadataStore
    from pajamas.tasks.manager import TaskManager

__all__ = ["export_card", "import_card", "install", "register"]


def install(ctx: Context, metadata: Slot[MetadataStore],
            tasks: Slot[TaskManager]) -> Slot[PersonaService]:
    """Add the personas stage and the persona.* methods; the service's slot."""
    personas = ctx.stages.add("personas", lambda: _service(ctx, metadata.get()),
                              needs=(metadata,))
    register(ctx.registry, personas, tasks)
    return personas


def _service(ctx: Context, store: MetadataStore) -> PersonaService:
    from pajamas.personas.service import PersonaService  # noqa: PLC0415

    return PersonaService(store, clock=ctx.clock, publish=ctx.publish)


def export_card(service: PersonaService, persona_id: str) -> dict[str, Any]:
    """The persona as a Character Card V2."""
    persona = service.get(persona_id)
    return write_card(persona["name"], persona["description"], persona["system_prompt"],
                      service.card(persona_id), persona["tags"])


def card_changes(data: Any) -> dict[str, Any]:
    """persona.update's fields from an edited card: the persona's own, its tags, the rest."""
    data = check_card_data(data)
    changes = {field: data.pop(field) for field in PERSONA_FIELDS if field in data}
    if "tags" in data:
        changes["tags"] = data.pop("tags")
    return changes | {"card": data}


def register(registry: Registry, personas: Slot[PersonaService],
             tasks: Slot[TaskManager] | None = None) -> None:
    """Add the persona.* methods, served by the service in the slot."""
    _register_records(registry, personas)
    _register_cards(registry, personas, tasks)


def _register_records(registry: Registry, personas: Slot[PersonaService]) -> None:
    def create(name: str, *, description: str = "", system_prompt: str = "",
               settings: dict[str, Any] | None = None, tags: list[Any] | None = None,
               card: dict[str, Any] | None = None, avatar: str | bytes | None = None,
               thumbnail: str | None = None) -> Persona:
        """Create a persona; its name must be unique (regardless of case), else conflict.

        `card` holds the other Character Card V2 fields (greetings, lore book…); `avatar` an
        image (bin or a data: URL), `thumbnail` a small one for the library.  Returns the
        persona: {"id", "name", "description", "system_prompt", "settings", "tags",
        "favourite", "memory_count", "last_used_at", "thumbnail", "created_at", "updated_at"}.
        """
        rest = card_changes(card or {})["card"] if card else None
        return personas.get().create(name, description=description, system_prompt=system_prompt,
                                     settings=settings, tags=tags, card=rest, avatar=avatar,
                                     thumbnail=thumbnail)

    def get(id: str | None = None, name: str | None = None) -> Persona:
        """Return one persona by `id` (or by `name`, any case); not_found if there is none."""
        service = personas.get()
        if id is not None:
            return service.get(id)
        if name is not None:
            return service.find(name)
        raise InvalidParams("give the persona's `id` or its `name`", field="id")

    def update(id: str, *, name: str | None = None, description: str | None = None,
               system_prompt: str | None = None, settings: dict[str, Any] | None = None,
               tags: list[Any] | None = None, favourite: bool | None = None,
               card: dict[str, Any] | None = None, avatar: str | bytes | None = None,
               thumbnail: str | None = None) -> Persona:
        """Change a persona's fields; returns it.  Fields left out (or null) keep their value.

        `card` is a Character Card V2 `data` map (every field; its name, description,
        system_prompt and tags set the persona's); `avatar` an image ("" removes it).
        A taken name is a conflict.
        """
        fields = card_changes(card) if card is not None else {}
        given = {"name": name, "description": description, "system_prompt": system_prompt,
                 "settings": settings, "tags": tags, "favourite": favourite, "avatar": avatar,
                 "thumbnail": thumbnail}
        return personas.get().update(id, **(fields | {k: v for k, v in given.items()
                                                      if v is not None}))

    def delete(id: str) -> dict[str, Any]:
        """Delete a persona with its memory, cache entries and plugin state: {"deleted": true}."""
        personas.get().delete(id)
        return {"deleted": True}

    def list_(*, offset: int = 0, limit: int = 50, query: str = "",
              sort: Literal["name", "created", "last_used", "memories"] = "name",
              descending: bool | None = None, tags_include: list[Any] | None = None,
              tags_exclude: list[Any] | None = None,
              favourite: bool | None = None) -> dict[str, Any]:
        """List a page of the library: light rows, never the card.

        {"items": [{"id", "name", "summary", "tags", "favourite", "memory_count",
        "last_used_at", "created_at", "updated_at", "thumbnail"}], "total"}.

        `query` looks in names, tags and descriptions; `sort` by name (A first), created,
        last_used or memories (newest, most first; never used or counted last); `descending`
        turns it round; `tags_include` (all of them), `tags_exclude` (none of them) and
        `favourite` filter.  `total` counts the personas that match.
        """
        where = Filter(query, check_tag_list("tags_include", tags_include),
                       check_tag_list("tags_exclude", tags_exclude), favourite)
        return personas.get().list(offset=offset, limit=limit, sort=sort,
                                   descending=descending, where=where)

    def tags(offset: int = 0, limit: int = 200) -> dict[str, Any]:
        """List every tag in use, most used first: {"items": [{"tag", "count"}], "total"}."""
        return personas.get().tags(offset=offset, limit=limit)

    def usage(id: str) -> dict[str, Any]:
        """Say what deleting the persona takes with it.

        {"memories" (null: not counted yet), "plugins" (enabled), ...}.
        """
        return personas.get().usage(id)

    for name, func in (("create", create), ("get", get), ("update", update),
                       ("delete", delete), ("list", list_), ("tags", tags), ("usage", usage)):
        registry.add(f"persona.{name}", func)


def _register_cards(registry: Registry, personas: Slot[PersonaService],
                    tasks: Slot[TaskManager] | None) -> None:
    def card(id: str) -> dict[str, Any]:
        """Return the persona's whole card, for an editor.

        {"card": <Character Card V2 map>, "avatar": a data: URL or null}.
        """
        service = personas.get()
        avatar = service.avatar(id)
        return {"card": export_card(service, id),
                "avatar": None if avatar is None else data_url(avatar)}

    def export(id: str, format: Literal["json", "png"] = "json",
               path: str | None = None) -> dict[str, Any]:
        """Export a persona as a Character Card V2: {"card", "png"?, "path"?}.

        `format` "png" adds the PNG card (the avatar carrying the card; base64 text); with
        `path` the core writes the file there (on its machine) instead.
        """
        service = personas.get()
        exported = export_card(service, id)
        blob = (write_png_card(exported, service.avatar(id)) if format == "png" else
                (json.dumps(exported, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        if path is not None:
            _write_export(path, blob)
            return {"card": exported, "path": path}
        if format == "png":
            return {"card": exported, "png": base64.b64encode(blob).decode("ascii")}
        return {"card": exported}

    def import_(card: dict[str, Any] | bytes, thumbnail: str | None = None) -> Persona:
        """Create a persona from a Character Card; returns it (a taken name: conflict).

        `card` is a V2, V3 or V1 map, or a PNG card's bytes (its image becomes the avatar).
        """
        return import_card(personas.get(), card, thumbnail)

    def import_files_(files: list[Any]) -> dict[str, Any]:
        """Import many card files as a task: {"task"}.  `files`: [{"name", "data" (bin, or
        base64 text), "thumbnail"?}]; the task's result is {"items": [{"name", "status"
        ("imported" or "skipped"), "persona"?, "reason"?}], "imported", "skipped"}.
        """
        if tasks is None:
            raise InvalidParams("this core cannot import many files at once: it has no tasks",
                                field="files")
        checked = card_files(files)
        task = tasks.get().submit("persona.import", lambda t: import_files(
            personas.get(), checked, t), title=f"import {len(checked)} card files")
        return {"task": task.id}

    for name, func in (("card", card), ("export", export), ("import", import_),
                       ("import_files", import_files_)):
        registry.add(f"persona.{name}", func)


def _write_export(path: str, blob: bytes) -> None:
    """Write an exported card at path: absolute, in a folder that exists, not a folder."""
    target = Path(path).expanduser()
    if not target.is_absolute():
        raise InvalidParams(f"path must be absolute (the core's working folder is not yours), "
                            f"not {path!r:.200}", field="path")
    if not target.parent.is_dir():
        raise InvalidParams(f"there is no folder {str(target.parent)!r:.200} to write into",
                            field="path")
    try:
        target.write_bytes(blob)
    except (OSError, ValueError) as exc:  # a folder, no permission, a NUL in the name
        raise InvalidParams(f"cannot write the card to {path!r:.200}: {exc}",
                            field="path") from exc
