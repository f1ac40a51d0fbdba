"""The persona.* methods, and `install`, which adds the personas to the core.

`install` adds the "personas" start-up stage, which builds the service on the metadata
database (`<home>/hub.db`).  Other services reach it through the returned slot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pajamas.errors import InvalidParams
from pajamas.personas.cards import read_card, write_card
from pajamas.personas.model import Persona  # at run time: the registry reads the hints
from pajamas.personas.png import is_png, read_png_card
from pajamas.rpc.methods import Registry
from pajamas.stages import Slot

if TYPE_CHECKING:
    from pajamas.context import Context
    from pajamas.personas.service import PersonaService
    from pajamas.store.metadata import MetadataStore


def install(ctx: Context, metadata: Slot[MetadataStore]) -> Slot[PersonaService]:
    """Add the personas stage and the persona.* methods; the service's slot."""
    personas = ctx.stages.add("personas", lambda: _service(ctx, metadata.get()),
                              needs=(metadata,))
    register(ctx.registry, personas)
    return personas


def _service(ctx: Context, store: MetadataStore) -> PersonaService:
    from pajamas.personas.service import PersonaService  # noqa: PLC0415

    return PersonaService(store, clock=ctx.clock)


def import_card(service: PersonaService, card: dict[str, Any] | bytes) -> Persona:
    """A new persona from a card map, or from the bytes of a PNG card."""
    if isinstance(card, bytes):
        if not is_png(card):
            raise InvalidParams("card bytes must be a PNG character card", field="card")
        card = read_png_card(card)
    found = read_card(card)
    return service.create(found.name, description=found.description,
                          system_prompt=found.system_prompt, card=found.rest)


def export_card(service: PersonaService, persona_id: str) -> dict[str, Any]:
    """The persona as a Character Card V2."""
    persona = service.get(persona_id)
    return write_card(persona["name"], persona["description"], persona["system_prompt"],
                      service.card(persona_id))


def register(registry: Registry, personas: Slot[PersonaService]) -> None:
    """Add the persona.* methods, served by the service in the slot."""

    def create(name: str, description: str = "", system_prompt: str = "",
               settings: dict[str, Any] | None = None) -> Persona:
        """Create a persona; its name must be unique (regardless of case), else conflict.

        Returns the persona: {"id", "name", "description", "system_prompt", "settings",
        "created_at", "updated_at"}.
        """
        return personas.get().create(name, description=description,
                                     system_prompt=system_prompt, settings=settings)

    def get(id: str | None = None, name: str | None = None) -> Persona:
        """Return one persona by `id` (or by `name`, any case); not_found if there is none."""
        service = personas.get()
        if id is not None:
            return service.get(id)
        if name is not None:
            return service.find(name)
        raise InvalidParams("give the persona's `id` or its `name`", field="id")

    def update(id: str, name: str | None = None, description: str | None = None,
               system_prompt: str | None = None, settings: dict[str, Any] | None = None,
               ) -> Persona:
        """Change a persona's name, description, system_prompt or settings; returns it.

        Fields left out (or null) keep their value; a taken name is a conflict.
        """
        return personas.get().update(id, name=name, description=description,
                                     system_prompt=system_prompt, settings=settings)

    def delete(id: str) -> dict[str, Any]:
        """Delete a persona with its memory and cache entries: {"deleted": true}."""
        personas.get().delete(id)
        return {"deleted": True}

    def list_(offset: int = 0, limit: int = 50) -> dict[str, Any]:
        """List personas by name, a page at a time: {"items": [persona], "total"}."""
        return personas.get().list(offset=offset, limit=limit)

    def export(id: str) -> dict[str, Any]:
        """Export a persona as a Character Card V2: {"card": {"spec", "spec_version", "data"}}.

        Card fields the persona came with (greetings, lore book, extensions) are kept as imported.
        """
        return {"card": export_card(personas.get(), id)}

    def import_(card: dict[str, Any] | bytes) -> Persona:
        """Create a persona from a Character Card (V2, V3 or V1 map, or PNG card bytes).

        Returns the new persona; a taken name is a conflict.
        """
        return import_card(personas.get(), card)

    for name, func in (("create", create), ("get", get), ("update", update),
                       ("delete", delete), ("list", list_), ("export", export),
                       ("import", import_)):
        registry.add(f"persona.{name}", func)
