"""Shared test data for personas: the real cards in ../shared/data/cards (never copied here)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def seraphina_png() -> bytes:
    """SillyTavern's default Seraphina card: a V2 card in a PNG `chara` chunk."""
    return (SHARED_DATA / "cards" / "default_Seraphina.png").read_bytes()
