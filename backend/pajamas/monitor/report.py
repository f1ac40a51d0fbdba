"""The monitor's figures as a person reads them in a terminal (`pajamas monitor ...`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

MB: Final = 1024 * 1024
_COLUMNS: Final = ("name", "role", "pid", "rss MB", "uss MB", "cpu %", "threads", "files")


def format_snapshot(snapshot: dict[str, Any]) -> str:
    """A table of the watched processes, the core's request figures, and the alerts."""
    rows = [_COLUMNS, *(_row(p) for p in snapshot.get("processes") or [])]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in rows]
    lines.append(_requests(snapshot.get("rpc")))
    alerts = snapshot.get("alerts") or []
    lines += [f"ALERT {a['kind']} {a['process']}: {a['message']}" for a in alerts] or ["no alerts"]
    return "\n".join(lines)


def format_points(metric: str, points: list[list[float]]) -> str:
    """One line per point: local time and value."""
    if not points:
        return f"{metric}: no points in that window"
    return "\n".join(f"{datetime.fromtimestamp(t):%Y-%m-%d %H:%M:%S}  {v:,.2f}"
                     for t, v in points)


def _row(p: dict[str, Any]) -> tuple[str, ...]:
    uss = "-" if p.get("uss") is None else f"{p['uss'] / MB:.1f}"
    return (p["name"], p["role"], str(p["pid"]), f"{p['rss'] / MB:.1f}", uss,
            f"{p['cpu_percent']:.1f}", str(p["threads"]), str(p["open_files"]))


def _requests(rpc: dict[str, Any] | None) -> str:
    if not rpc:
        return "requests: not measured"
    p50, p99 = rpc.get("latency_p50_us"), rpc.get("latency_p99_us")
    latency = "" if p50 is None else f", latency p50 {p50:.0f} µs, p99 {p99:.0f} µs"
    return f"requests: {rpc['requests_per_s']:.1f}/s{latency}"
