"""A large persona library for the window benchmarks, written before the core starts.

`seed` creates personas in a home's hub.db through the core's own `PersonaService` (the code
persona.create runs, checks included) in one process, with no RPC per persona and without an
fsync per persona (the core's own setting is FULL): 10,000 take seconds this way.  Each has
a unique name (a corpus name and a number), two or three tags and a description of about
1,500 characters (a typical card's length) made of the synthetic corpus's turns.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Final

from pajamas.perf import corpus

DESCRIPTION_CHARS: Final = 1_500
TAGS: Final = ("fantasy", "sci-fi", "mystery", "romance", "historical", "horror", "comedy",
               "adventure", "slice of life", "drama", "noir", "western", "cyberpunk", "cozy")


def seed(home: Path, count: int, seed_value: int = 7) -> None:
    """Create count personas in home's metadata database."""
    from pajamas.personas.service import PersonaService  # noqa: PLC0415
    from pajamas.store.metadata import MetadataStore  # noqa: PLC0415

    home.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed_value)  # noqa: S311  (sample data, not a secret)
    turns = corpus.turns(min(count * 2, 2_000) + 50)
    names = corpus.WORDS["name"]
    store = MetadataStore.open(home)
    store.query("PRAGMA synchronous=OFF")  # set-up data: an fsync a persona is all the cost
    try:
        service = PersonaService(store)
        for n in range(count):
            service.create(f"{names[n % len(names)]} {n:05d}",
                           description=_description(rng, turns),
                           tags=rng.sample(TAGS, rng.randint(2, 3)))
    finally:
        store.close()


def _description(rng: random.Random, turns: list[str]) -> str:
    parts: list[str] = []
    while sum(map(len, parts)) < DESCRIPTION_CHARS:
        parts.append(turns[rng.randrange(len(turns))].split(": ", 1)[-1])
    return " ".join(parts)[:DESCRIPTION_CHARS]
