"""`Outcome`: what one fault trial found, and the `chaos.*` benchmarks' measurement of trials."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pajamas.perf.benchmark import Measurement


@dataclass
class Outcome:
    """One trial of a fault.

    `acknowledged` counts the writes the hub acknowledged before the fault, `lost` those of
    them missing afterwards, `duplicated` those found more than once; `recovery_s` is the time
    from the fault to the hub serving again.  `problems` says in words what went wrong (empty
    when the hub survived).
    """

    fault: str
    acknowledged: int = 0
    lost: int = 0
    duplicated: int = 0
    recovery_s: float = 0.0
    problems: list[str] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)  # more, e.g. "detect_s"

    @property
    def survived(self) -> bool:
        """Whether the hub came through whole: nothing lost or doubled, nothing else wrong."""
        return not (self.lost or self.duplicated or self.problems)

    def fail(self, problem: str) -> None:
        """Record something that went wrong."""
        self.problems.append(problem)

    def check(self) -> None:
        """Raise AssertionError naming every problem, for tests."""
        if not self.survived:
            raise AssertionError(f"{self.fault}: lost {self.lost}, doubled {self.duplicated} of "
                                 f"{self.acknowledged} acknowledged; {'; '.join(self.problems)}")


def measurement(outcomes: Sequence[Outcome]) -> Measurement:
    """The chaos convention's measurement of trials.

    samples: writes lost per trial (a doubled write counts as lost, and a trial with another
    problem as one lost write, so a budget of 0 catches every failure); extra: survived,
    acknowledged, recovery_s (the slowest trial's), fault, and the worst trial's figures.
    """
    samples = [float(o.lost + o.duplicated or (1 if o.problems else 0)) for o in outcomes]
    figures = {name: max(o.figures[name] for o in outcomes if name in o.figures)
               for o in outcomes for name in o.figures}  # the worst trial's
    return Measurement(samples, {
        **figures,
        "survived": 1.0 if all(o.survived for o in outcomes) else 0.0,
        "acknowledged": float(sum(o.acknowledged for o in outcomes)),
        "recovery_s": max((o.recovery_s for o in outcomes), default=0.0),
        "fault": outcomes[0].fault if outcomes else "",
        "problems": "; ".join(p for o in outcomes for p in o.problems)[:500],
    })
