"""PersonaService on a real database in a temp folder, with an injected clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pajamas.errors import Conflict, InvalidParams, NotFound
from pajamas.personas.library import Filter
from pajamas.personas.service import PersonaService
from pajamas.store.metadata import MetadataStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(tmp_path: Path, clock: Clock) -> Iterator[PersonaService]:
    store = MetadataStore.open(tmp_path)
    yield PersonaService(store, clock=clock)
    store.close()


def test_update_changes_only_the_given_fields_and_the_time(service: PersonaService,
                                                           clock: Clock) -> None:
    ada = service.create("Ada", description="d", settings={"a": 1})
    clock.now = 2000.0
    changed = service.update(ada["id"], system_prompt="be brief")
    assert changed["description"] == "d" and changed["settings"] == {"a": 1}
    assert (changed["created_at"], changed["updated_at"]) == (1000.0, 2000.0)


def test_names_are_unique_regardless_of_case(service: PersonaService) -> None:
    service.create("Ada")
    with pytest.raises(Conflict):
        service.create("ADA")
    bob = service.create("Bob")
    with pytest.raises(Conflict):
        service.update(bob["id"], name="ada")
    assert service.find("aDa")["name"] == "Ada"


def test_delete_runs_the_hooks_first_and_a_failing_hook_keeps_the_persona(
        service: PersonaService) -> None:
    ada = service.create("Ada")
    seen: list[str] = []

    def hook(persona: str) -> None:
        seen.append(persona)
        if len(seen) == 1:
            raise NotFound("the memory is gone missing")

    service.on_delete(hook)
    with pytest.raises(NotFound):
        service.delete(ada["id"])
    assert service.exists(ada["id"])
    service.delete(ada["id"])
    assert seen == [ada["id"], ada["id"]] and not service.exists(ada["id"])


@pytest.mark.parametrize(("field", "value"), [("name", ""), ("name", "x" * 101),
                                              ("settings", {"x": float("nan")})])
def test_bad_fields_are_invalid_params(service: PersonaService, field: str, value: object) -> None:
    ada = service.create("Ada")
    with pytest.raises(InvalidParams) as caught:
        service.update(ada["id"], **{field: value})
    assert caught.value.field == field


def test_list_pages_by_name(service: PersonaService) -> None:
    for name in ("c", "a", "b"):
        service.create(name)
    page = service.list(offset=1, limit=1)
    assert [p["name"] for p in page["items"]] == ["b"] and page["total"] == 3
    with pytest.raises(InvalidParams):
        service.list(limit=0)


@pytest.mark.parametrize(("offset", "limit", "shown", "total"), [
    (0, 2, ["Bea", "Cal"], 3),  # a full page: the total is counted
    (2, 2, ["Dee"], 3),  # the last page: its rows tell the total
    (0, 5, ["Bea", "Cal", "Dee"], 3),
    (5, 2, [], 3),  # past the end: counted
])
def test_a_search_page_tells_the_total_of_every_match(service: PersonaService, offset: int,
                                                      limit: int, shown: list[str],
                                                      total: int) -> None:
    for name in ("Ada", "Bea", "Cal", "Dee"):
        service.create(name, description="a sailor" if name != "Ada" else "a painter")
    page = service.list(offset=offset, limit=limit, where=Filter(query="sailor"))
    assert [p["name"] for p in page["items"]] == shown and page["total"] == total
    assert service.list(where=Filter(query="nobody"))["total"] == 0
