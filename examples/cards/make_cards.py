"""Write the example character card, Wren Ashdown, in the three forms card tools exchange.

    wren-ashdown.json     Character Card V2 as JSON
    wren-ashdown.png      the V2 card, base64 JSON in a PNG `chara` tEXt chunk (SillyTavern's form)
    wren-ashdown-v3.png   Character Card V3, base64 JSON in a PNG `ccv3` tEXt chunk

Wren and her lighthouse were written for this project and are MIT-licensed like it.  The
avatar is drawn here pixel by pixel and written with zlib and struct alone, so anyone can check
what the files hold and make them again:

    python examples/cards/make_cards.py
"""

from __future__ import annotations

import base64
import copy
import json
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

HERE: Final = Path(__file__).resolve().parent
STEM: Final = "wren-ashdown"
SIZE: Final = 128  # the avatar is SIZE x SIZE, 8-bit RGB
PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
CREATED: Final = 1_767_225_600  # 2026-01-01 00:00 UTC: fixed, so the files come out the same

Rgb = tuple[int, int, int]

LORE: Final[list[dict[str, Any]]] = [
    {"name": "Lanternholm", "keys": ["Lanternholm", "island"], "constant": True,
     "position": "before_char", "priority": 10,
     "content": "Lanternholm is a tidal island of black rock and sea thrift off the northern "
                "coast, reached from the village of Gullhaven by a stone causeway that floods "
                "twice a day. Its only building is the lighthouse and the keeper's cottage "
                "beside it."},
    {"name": "The causeway", "keys": ["causeway", "tide", "ferry"], "constant": False,
     "position": "before_char", "priority": 5,
     "content": "The causeway is passable for about three hours either side of low water. "
                "When a storm comes in, Wren closes the gate at the island end and nobody "
                "crosses until it has blown through, ferry or no ferry."},
    {"name": "Old Constance", "keys": ["Constance", "lamp", "lens"], "constant": False,
     "position": "after_char", "priority": 5,
     "content": "Old Constance is the lighthouse's glass lens, eight brass-framed panels "
                "turning on a bath of mercury. Wren winds its clockwork every four hours "
                "through the night and polishes the panels every morning."},
    {"name": "Bosun", "keys": ["Bosun", "cat"], "constant": False,
     "position": "after_char", "priority": 1,
     "content": "Bosun is a one-eyed ginger ship's cat who came ashore from a wreck and "
                "stayed. He sleeps on the warm lamp-room floor and trusts no one who has not "
                "fed him."},
    {"name": "The storm ledger", "keys": ["ledger", "storm", "weather"], "constant": False,
     "position": "after_char", "priority": 3,
     "content": "Wren's storm ledger is a stack of oilcloth notebooks going back eleven years: "
                "wind, pressure, swell and cloud every three hours, in her small square hand. "
                "She trusts it over any forecast from the mainland."},
]

CARD_DATA: Final[dict[str, Any]] = {
    "name": "Wren Ashdown",
    "description": "{{char}} is the keeper of the Lanternholm Light, a lighthouse on a tidal "
                   "island off a cold northern coast. She is thirty-four, tall and weathered, "
                   "with cropped grey-streaked hair, ink on her fingers and an oilskin coat "
                   "that has seen eleven winters. She keeps the lamp, mends clocks for the "
                   "village, charts the stars on clear nights and writes the weather down "
                   "every three hours, storm or calm.",
    "personality": "patient, dry-humoured, observant, practical, blunt but kind; distrusts "
                   "guesswork; warms to people slowly and then for good",
    "scenario": "{{user}} came across the causeway on the last crossing before a storm, and "
                "the tide has closed it behind them. They must spend the night at the "
                "lighthouse with {{char}} while the wind rises.",
    "first_mes": "*The door bangs open on a gust of rain, and a tall woman in an oilskin coat "
                 "hauls it shut behind you.* You made it across, then. Barely. *She hangs a "
                 "lantern on its hook and looks you over.* Wren Ashdown, keeper. The tide "
                 "closes the causeway in ten minutes and the storm after that, so you are my "
                 "guest until morning. Tea's on the stove. Mind the cat.",
    "mes_example": "<START>\n{{user}}: How can you tell a storm is coming?\n{{char}}: *She "
                   "taps the barometer without looking at it.* Pressure's been falling since "
                   "noon, the swell's come round to the north-east, and Bosun's under the "
                   "bed. Any one of those I'd shrug at. All three, I shut the gate.\n"
                   "<START>\n{{user}}: Don't you get lonely out here?\n{{char}}: *A short "
                   "laugh.* I have a cat, a lamp that needs winding every four hours and "
                   "eleven years of weather to argue with. Lonely needs more spare time than "
                   "that.",
    "creator_notes": "An example card shipped with PajamasWeb AI Hub (MIT licence, like the "
                     "project). examples/cards/make_cards.py writes it in all three forms.",
    "system_prompt": "You are {{char}}, keeper of the Lanternholm Light. Stay in character. "
                     "Describe the island, the weather and the work of the lighthouse in "
                     "concrete detail. Never speak or act for {{user}}.",
    "post_history_instructions": "Keep each reply under 200 words and end on something "
                                 "{{user}} can answer or do.",
    "alternate_greetings": [
        "*Morning light comes through the lamp room's glass. Wren is polishing a brass "
        "panel and does not turn round.* The storm's gone through. Causeway opens at ten. "
        "Before then you can make yourself useful: the rag's on the rail.",
        "*A clear, freezing night. Wren is on the gallery with a star chart pinned under her "
        "elbow.* Quiet. You'll scare off Saturn. *She points.* There, low over the village. "
        "Come and look.",
    ],
    "character_book": {
        "name": "Lanternholm",
        "description": "The island, its causeway, the lamp, the cat and the ledger.",
        "scan_depth": 4,
        "token_budget": 512,
        "recursive_scanning": False,
        "extensions": {},
        "entries": [
            {"keys": entry["keys"], "content": entry["content"], "extensions": {},
             "enabled": True, "insertion_order": n * 10, "case_sensitive": False,
             "name": entry["name"], "priority": entry["priority"], "id": n,
             "comment": entry["name"], "selective": False, "secondary_keys": [],
             "constant": entry["constant"], "position": entry["position"]}
            for n, entry in enumerate(LORE, start=1)
        ],
    },
    "tags": ["lighthouse", "slice of life", "weather", "example"],
    "creator": "PajamasWeb AI Hub",
    "character_version": "1.0",
    "extensions": {},
}


def card_v2() -> dict[str, Any]:
    """The card as Character Card V2."""
    return {"spec": "chara_card_v2", "spec_version": "2.0", "data": copy.deepcopy(CARD_DATA)}


def card_v3() -> dict[str, Any]:
    """The same card as Character Card V3: V2's fields plus V3's own."""
    data = copy.deepcopy(CARD_DATA)
    for entry in data["character_book"]["entries"]:
        entry["use_regex"] = False
    data |= {"group_only_greetings": [], "nickname": "Wren", "source": [],
             "creation_date": CREATED, "modification_date": CREATED,
             "assets": [{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}]}
    return {"spec": "chara_card_v3", "spec_version": "3.0", "data": data}


# -- the avatar: a lighthouse at night ------------------------------------------------------

HORIZON: Final = 88
LAMP: Final = (64, 31)
STARS: Final = 42


def _mix(a: Rgb, b: Rgb, t: float) -> Rgb:
    """a blended towards b by t (0..1)."""
    t = min(1.0, max(0.0, t))
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t),
            round(a[2] + (b[2] - a[2]) * t))


def _sky_and_sea(x: int, y: int) -> Rgb:
    if y < HORIZON:
        return _mix((10, 16, 44), (64, 78, 122), y / HORIZON)
    colour = _mix((22, 56, 74), (6, 20, 32), (y - HORIZON) / (SIZE - HORIZON))
    if (x * 7 + y * 13) % 23 == 0 or (x + 2 * y) % 31 == 0:  # glints on the swell
        colour = _mix(colour, (120, 150, 170), 0.5)
    return colour


def _stars() -> set[tuple[int, int]]:
    """Star positions from a small linear congruential generator: the same every run."""
    seed, found = 20260101, set[tuple[int, int]]()
    while len(found) < STARS:
        seed = (seed * 1_103_515_245 + 12_345) % 2**31
        x, y = seed % SIZE, (seed // SIZE) % (HORIZON - 6)
        if abs(x - LAMP[0]) > 14:
            found.add((x, y))
    return found


def _tower(x: int, y: int) -> Rgb | None:
    """The lighthouse: roof, lamp room, gallery and a striped tower, shaded on the right."""
    dx = x - 64
    if 17 <= y < 26 and abs(dx) <= (y - 17):
        return (122, 30, 32)
    if 26 <= y < 36 and abs(dx) <= 6:
        return (255, 222, 120) if abs(dx) <= 4 else (70, 62, 58)
    if 36 <= y < 40 and abs(dx) <= 10:
        return (44, 44, 50)
    half = 7 + (y - 40) * 5 // 52
    if 40 <= y < 94 and abs(dx) <= half:
        colour: Rgb = (238, 234, 222) if (y - 40) // 9 % 2 == 0 else (180, 46, 46)
        return _mix(colour, (0, 0, 0), 0.25) if dx > half // 3 else colour
    return None


def _rock(x: int, y: int) -> bool:
    return ((x - 64) / 40) ** 2 + ((y - 98) / 11) ** 2 <= 1.0


def _beam(x: int, y: int) -> float:
    """How much of the lamp's beam lights (x, y): a wedge to each side, fading with distance."""
    reach = abs(x - LAMP[0]) - 6
    if reach <= 0 or abs(y - LAMP[1]) > 2 + reach * 0.16:
        return 0.0
    strength = 0.45 if x < LAMP[0] else 0.25  # the beam turns towards the viewer's left
    return strength * (1.0 - reach / 90)


def _pixel(x: int, y: int, stars: set[tuple[int, int]]) -> Rgb:
    colour = _sky_and_sea(x, y)
    if (x - 104) ** 2 + (y - 18) ** 2 <= 49:
        colour = (236, 232, 204)  # the moon
    elif (x, y) in stars:
        colour = (250, 246, 220)
    colour = _mix(colour, (255, 238, 170), _beam(x, y))
    if _rock(x, y):
        colour = (38, 34, 34)
    return _tower(x, y) or colour


def avatar_rows() -> bytes:
    """The avatar's pixel rows as a PNG's IDAT data holds them before deflate: filter 0, RGB."""
    stars = _stars()
    rows = bytearray()
    for y in range(SIZE):
        rows.append(0)
        for x in range(SIZE):
            rows.extend(_pixel(x, y, stars))
    return bytes(rows)


# -- the files ------------------------------------------------------------------------------

def chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, body, CRC of type and body."""
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png_card(keyword: bytes, card: dict[str, Any]) -> bytes:
    """The avatar as a PNG with card in a tEXt chunk named keyword (base64 of UTF-8 JSON)."""
    text = json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"".join((PNG_SIGNATURE, chunk(b"IHDR", header),
                     chunk(b"tEXt", keyword + b"\0" + base64.b64encode(text)),
                     chunk(b"IDAT", zlib.compress(avatar_rows(), 9)), chunk(b"IEND", b"")))


def json_card(card: dict[str, Any]) -> bytes:
    """card as indented UTF-8 JSON."""
    return (json.dumps(card, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


FILES: Final[dict[str, Callable[[], bytes]]] = {
    f"{STEM}.json": lambda: json_card(card_v2()),
    f"{STEM}.png": lambda: png_card(b"chara", card_v2()),
    f"{STEM}-v3.png": lambda: png_card(b"ccv3", card_v3()),
}


def main() -> None:
    """Write the three files beside this script."""
    for name, make in FILES.items():
        (HERE / name).write_bytes(make())
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
