"""The table `pajamas cache stats` prints from a `cache.stats` reply."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

_COLUMNS: Final = (
    ("tier", 10, "name"), ("hits", 9, "hits"), ("misses", 9, "misses"),
    ("hit %", 6, "hit_rate"), ("items", 8, "items"), ("bytes", 10, "bytes"),
    ("budget", 10, "budget_bytes"), ("evict", 7, "evictions"), ("promo", 7, "promotions"),
    ("demo", 7, "demotions"), ("expired", 7, "expirations"),
    ("get p50/p99 µs", 16, "get"), ("set p50/p99 µs", 16, "set"),
)


def format_stats(stats: Mapping[str, Any]) -> str:
    """The stats as a table: per namespace, one line per tier and one for the total."""
    header = " ".join(f"{title:>{width}}" for title, width, _ in _COLUMNS)
    lines = [f"hot tier: {_size(stats['hot_bytes'])} of {_size(stats['hot_budget_bytes'])}"
             f"{'  (memory pressure)' if stats['pressure'] else ''}"]
    for name, space in stats["namespaces"].items():
        ttl = "none" if space["ttl_s"] is None else f"{space['ttl_s']:g} s"
        lines += ["", f"{name}  (TTL {ttl}, loads {space['loads']})", header]
        lines += [_row(tier, figures) for tier, figures in space["tiers"].items()]
        lines.append(_row("all", {**space, "budget_bytes": None, "evictions": None,
                                  "promotions": None, "demotions": None, "expirations": None}))
    return "\n".join(lines)


def _row(name: str, figures: Mapping[str, Any]) -> str:
    return " ".join(f"{_cell(name, figures, field):>{width}}" for _, width, field in _COLUMNS)


def _cell(name: str, figures: Mapping[str, Any], field: str) -> str:
    if field == "name":
        return name
    if field in ("get", "set"):
        return f"{_us(figures[f'{field}_p50_us'])}/{_us(figures[f'{field}_p99_us'])}"
    value = figures.get(field)
    if value is None:
        return "-"
    if field == "hit_rate":
        return f"{100 * value:.1f}"
    return _size(value) if field in ("bytes", "budget_bytes") else str(value)


def _us(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _size(value: int) -> str:
    if value < 1024:
        return f"{value}B"
    amount, unit = value / 1024, "KB"
    for bigger in ("MB", "GB"):
        if amount < 1024:
            break
        amount, unit = amount / 1024, bigger
    return f"{amount:.1f}{unit}"
