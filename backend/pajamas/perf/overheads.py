"""The arithmetic of the overhead benchmarks: paired differences, token delays, stream rates.

Pure functions of timestamps and durations, so they are tested without a core or a clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pajamas.perf.stats import percentile


@dataclass(frozen=True)
class Paired:
    """Two sets of timings taken in pairs (through the hub, and straight to the server)."""

    hub: list[float]
    direct: list[float]

    def __post_init__(self) -> None:
        if len(self.hub) != len(self.direct) or not self.hub:
            raise ValueError(f"paired timings need as many hub as direct figures, at least "
                             f"one; got {len(self.hub)} and {len(self.direct)}")

    @property
    def differences(self) -> list[float]:
        """hub minus direct, pair by pair (each pair ran back to back)."""
        return [h - d for h, d in zip(self.hub, self.direct, strict=True)]

    @property
    def ratios(self) -> list[float]:
        """hub over direct, pair by pair."""
        return [h / d for h, d in zip(self.hub, self.direct, strict=True)]

    def median_difference(self) -> float:
        """The hub's median minus the direct median."""
        return median(self.hub) - median(self.direct)

    def median_ratio(self) -> float:
        """The hub's median over the direct median."""
        return median(self.hub) / median(self.direct)


def median(values: Sequence[float]) -> float:
    """The median of at least one value."""
    return percentile(sorted(values), 50)


def token_delays(sent: Mapping[int, float], arrived: Mapping[int, float]) -> list[float]:
    """Milliseconds from each chunk's sending to its arrival, for the chunks both saw.

    Raises `ValueError` when a chunk arrived that was never sent, or arrived before it was
    sent (the clocks are not the same one).
    """
    unknown = sorted(set(arrived) - set(sent))
    if unknown:
        raise ValueError(f"chunks {unknown[:5]} arrived but were never sent")
    delays = [(arrived[n] - sent[n]) * 1000 for n in sorted(arrived)]
    if any(d < 0 for d in delays):
        raise ValueError("a chunk arrived before it was sent: the two clocks differ")
    return delays


def stream_rate(arrivals: Sequence[float]) -> float:
    """Pieces per second while streaming: after the first piece, up to the last."""
    if len(arrivals) < 2:
        raise ValueError(f"a rate needs at least two pieces, not {len(arrivals)}")
    span = arrivals[-1] - arrivals[0]
    if span <= 0:
        raise ValueError("the pieces arrived all at once: no rate to tell")
    return (len(arrivals) - 1) / span
