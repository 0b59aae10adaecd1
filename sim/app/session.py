"""What one browser tab of the app holds: the scenario picked, the knobs' values and the run settings.

A ``Session`` turns the page's state into a ``Question`` (and so into the ``compare`` command
that answers it). It starts from a bundled scenario, a demo (a scenario with its teaching
variant already set on the knobs) or an uploaded file. Runs are kept short enough to answer
while the room waits: a scenario expected to bring more than ``TICKET_BUDGET`` tickets per
replication is simulated for fewer days (whole days, past the warm-up) unless the user asks for
more, and the page says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sim.app.knobs import Knob, day_names, knobs_for, variant_overrides
from sim.app.whatif import Question
from sim.core.units import MINUTES_PER_DAY, format_duration
from sim.demo import DEMOS, SCENARIOS
from sim.reports.replay import day_count
from sim.scenario.spec import Scenario
from sim.scenario.variants import read_document
from sim.scenario.workload import estimate

TICKET_BUDGET = 25_000
"""Expected tickets per replication the app simulates by default: five replications of base and variant
then answer in about 12 s on 2 cores (``bench/bench_app.py``); a busier scenario is simulated for fewer days."""
REPLICATIONS = 5
"""Default replications per scenario: enough for paired intervals, quick enough for a room."""


@dataclass(frozen=True)
class Choice:
    """Something to start from: a bundled scenario, or a demo (its scenario with the variant preset)."""

    key: str
    label: str
    path: Path
    variant: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()
    featured: tuple[str, ...] = ()
    note: str = ""


def choices() -> list[Choice]:
    """The demos first (each a ready-made question), then every bundled scenario."""
    demos = [
        Choice(
            f"demo:{demo.name}",
            f"Demo: {demo.summary}",
            SCENARIOS / demo.scenario,
            tuple(change for changes in demo.variants.values() for change in changes),
            demo.overrides,
            demo.kpis,
            f"{demo.question} {demo.story}",
        )
        for demo in DEMOS.values()
    ]
    scenarios = [
        Choice(f"scenario:{path.name}", f"Scenario: {path.stem}", path) for path in sorted(SCENARIOS.glob("*.yaml"))
    ]
    return demos + scenarios


@dataclass
class Session:
    """The scenario being explored, its knobs and their values, and the run settings."""

    source: Path
    scenario: Scenario
    knobs: list[Knob]
    values: dict[str, object]
    fixed: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    """Variant overrides no knob shows (a demo's), kept as they are."""
    featured: tuple[str, ...] = ()
    note: str = ""
    replications: int = REPLICATIONS
    seed: int = 1
    days: float = 0.0
    label: str = ""
    presets: dict[str, object] = field(default_factory=dict)

    @classmethod
    def start(cls, choice: Choice) -> Session:
        """A session on ``choice``: its knobs at the scenario's values, then the demo's variant set on them."""
        scenario = read_document(choice.path).scenario(choice.fixed)
        knobs = knobs_for(scenario)
        values: dict[str, object] = {knob.path: knob.value for knob in knobs}
        by_path = {knob.path: knob for knob in knobs}
        extra = []
        for change in choice.variant:
            path, _, raw = change.partition("=")
            if path in by_path:
                values[path] = by_path[path].read(yaml.safe_load(raw))
            else:
                extra.append(change)
        return cls(
            source=choice.path,
            scenario=scenario,
            knobs=knobs,
            values=values,
            fixed=choice.fixed,
            extra=tuple(extra),
            featured=choice.featured,
            note=choice.note,
            seed=scenario.seed,
            days=default_days(scenario),
            label=choice.label,
            presets=dict(values),
        )

    def reset(self) -> None:
        """Every knob back to where the session started (a demo's variant stays preset)."""
        self.values = dict(self.presets)

    @property
    def full_days(self) -> float:
        """The scenario's own horizon, in days."""
        return self.scenario.horizon / MINUTES_PER_DAY

    def question(self) -> Question:
        """The comparison the page shows: the variant's overrides against the scenario, same seed and customers."""
        fixed = list(self.fixed)
        if abs(self.days - self.full_days) > 1e-9:
            fixed.append(f"horizon={self.days:g}d")
        return Question(
            source=self.source,
            variant=(*variant_overrides(self.knobs, self.values), *self.extra),
            fixed=tuple(fixed),
            replications=self.replications,
            seed=self.seed,
        )

    def horizon_note(self) -> str:
        """What is simulated, and whether that is shorter than the scenario (the page shows this line)."""
        warmup = format_duration(self.scenario.warmup)
        simulated = f"{self.days:g} days" if self.days >= 1 else format_duration(self.days * MINUTES_PER_DAY)
        if self.days < self.full_days - 1e-9:
            return (
                f"Simulating {simulated} of the scenario's {self.full_days:g} (shortened so that a run answers "
                f"in seconds; set the days under Run to simulate more), warm-up {warmup}."
            )
        return f"Simulating the scenario's full {simulated}, warm-up {warmup}."


def default_days(scenario: Scenario) -> float:
    """The scenario's horizon in days, or fewer whole days (at least one past the warm-up) to stay within the budget."""
    days = scenario.horizon / MINUTES_PER_DAY
    tickets = estimate(scenario).tickets
    if tickets <= TICKET_BUDGET:
        return days
    warmup_days = math.ceil(scenario.warmup / MINUTES_PER_DAY)
    return min(days, max(math.floor(days * TICKET_BUDGET / tickets), warmup_days + 1))


def replay_days(scenario: Scenario) -> dict[int, str]:
    """The days the replay can show (every day the run reaches into), named as the surge knobs name them."""
    return day_names(scenario, day_count(scenario))
