"""Value alerts: a process whose RSS is above a ceiling, whatever its trend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from pajamas.monitor.alerts import Alert
from pajamas.monitor.sampler import ProcessSample

MB: Final = 1024 * 1024
CLEAR_BELOW: Final = 0.9  # a raised alert clears under 90% of the ceiling, not at 99.9%


def rss_ceiling(now: float, samples: Sequence[ProcessSample], ceiling_mb: float,
                raised: set[str]) -> dict[str, Alert]:
    """The "high" alerts that hold now: processes over ceiling_mb (ids in raised: over 90%)."""
    current = {}
    for sample in samples:
        alert_id = f"high:{sample['name']}.rss"
        mb = sample["rss"] / MB
        bound = ceiling_mb * CLEAR_BELOW if alert_id in raised else ceiling_mb
        if mb > bound:
            current[alert_id] = Alert(
                id=alert_id, kind="high", state="raised", process=sample["name"],
                pid=sample["pid"], metric="rss", value=mb, unit="MB", threshold=ceiling_mb,
                since=now, time=now,
                message=f"{sample['name']} (pid {sample['pid']}) uses {mb:.0f} MB, over "
                        f"{ceiling_mb:g} MB (setting alert_rss_mb)")
    return current
