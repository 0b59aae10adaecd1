"""The optimiser's search: the cheapest weekly roster meeting the goals, found and checked by simulating the network.

``optimise`` runs the five steps of issue 14, each on the same seed (common random numbers, so two
rosters are compared on the same customers):

1. **Pilot**: simulate the scenario as it is staffed; ``targets`` reads each pool's offered load per
   interval where it lands in the network (``analysis.offered_load``), its shrinkage and who serves
   which queue, and what each pool must meet.
2. **Erlang** (``targets.erlang_curves``): each pool's per-interval requirement by Erlang C at that
   load, alone and in steady state (the spreadsheet answer, and ISA's starting point).
3. **ISA** (``isa.search``): refine the requirement by simulation until every interval meets its
   goal with the network, abandonment and time variation all present. Shrinkage is left out here:
   the requirement counts agents on the phones.
4. **Shifts** (``schedule.schedule``): gross the requirement up for shrinkage where it falls (breaks,
   lunch windows, meetings; absence evenly) and cover it with the
   allowed shift templates at least cost (an integer programme).
5. **Verify** (``verify``): simulate the roster, shrinkage included, with ``verify_replications``; if a
   goal is missed, add agents where the shortfall is and schedule again, up to ``max_rounds``; once
   every goal is met, cut agents while the goals stay met.

This module holds the run and the search from step 3 on, and the rosters it judges. The Erlang-only
roster (step 2 scheduled with the same templates and verified on the same customers) is kept for
comparison.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.analysis.channel_kpis import live_channels
from sim.analysis.kpis import replication_kpis
from sim.analysis.staffing import weekly_agent_hours
from sim.core.units import MINUTES_PER_DAY
from sim.engine.records import RunRecords
from sim.experiments.executors import Executor
from sim.experiments.replications import Replication, executor_scope, replicate
from sim.optimiser.goals import Goals
from sim.optimiser.grid import WeekGrid
from sim.optimiser.isa import IsaResult, PoolTarget, Step, search
from sim.optimiser.measure import shrinkage_cells
from sim.optimiser.pools import primary_pools, staffed_pools, with_rosters
from sim.optimiser.schedule import PoolSchedule, ShiftTemplate, curve_shifts, schedule
from sim.optimiser.targets import (
    Curves,
    erlang_curves,
    goal_list,
    pilot_shrinkage,
    pool_targets,
    resolved,
    served_shares,
)
from sim.optimiser.verify import Verdict, shortfall, verdicts
from sim.scenario.clock import WEEKDAYS
from sim.scenario.spec import Scenario

TRIM_TRIES = 6
"""At most this many checks of a uniform cut per pool after the goals are met (doubling, then bisection)."""
POLISH_ROUNDS = 4
"""At most this many checks of interval-by-interval cuts per pool after the uniform cut."""


@dataclass
class Roster:
    """A roster judged on replications: its shifts per pool, coverage, cost, and every goal's verdict."""

    name: str
    schedules: dict[str, PoolSchedule]
    scenario: Scenario
    verdicts: list[Verdict]
    kpis: pd.DataFrame
    cost: float
    fixed_cost: float

    @property
    def met(self) -> bool:
        """Whether every goal is met."""
        return all(v.judgement.met for v in self.verdicts)

    @property
    def missed(self) -> list[str]:
        """The labels of the goals it misses."""
        return [v.goal.label for v in self.verdicts if not v.judgement.met]


@dataclass
class OptimiseResult:
    """Everything ``optimise`` found: the roster, the requirement at each step, the log, the comparison."""

    scenario: Scenario
    goals: Goals
    grid: WeekGrid
    roster: Roster
    erlang: Curves
    isa: Curves
    required: Curves
    shrinkage: dict[str, float]
    alphas: dict[str, float]
    log: list[dict]
    replications: int
    rounds: int
    elapsed: float
    cost_unit: str
    erlang_only: Roster | None = None
    notes: list[str] = field(default_factory=list)
    goals_file: str | None = None


@dataclass
class _Run:
    """The run's shared state: what it simulates with, and what it has used."""

    scenario: Scenario
    goals: Goals
    grid: WeekGrid
    executor: Executor
    progress: bool | None
    say: Callable[[str], None]
    replications: int = 0
    log: list[dict] = field(default_factory=list)
    away: Curves = field(default_factory=dict)
    """Per pool and cell, the share of rostered agents not available (the pilot's shrinkage where it falls)."""
    notes: list[str] = field(default_factory=list)
    loads: Curves = field(default_factory=dict)
    """Per optimised pool and cell, the offered load (Erlangs) the pilot measured: the floor a cut keeps."""

    @property
    def days(self) -> float:
        return self.goals.horizon / MINUTES_PER_DAY

    def simulate(self, scenario: Scenario, count: int, desc: str) -> list[RunRecords]:
        """``count`` replications of ``scenario`` on the run's seed, with their records."""
        tasks = [Replication(scenario, r, self.scenario.seed, tables=True, record_events=False) for r in range(count)]
        self.replications += count
        outputs = replicate(tasks, self.executor, self.progress, desc)
        return [out.records for out in outputs if out.records is not None]

    def gross(self, pool: str, agents: np.ndarray) -> np.ndarray:
        """Agents on the phones per cell grossed up to agents rostered, by the pool's shrinkage in each cell."""
        return agents / (1 - self.away.get(pool, np.zeros(self.grid.shape)))

    def staffed(self, shifts: dict[str, list[dict]], net: bool) -> Scenario:
        """The scenario on these shifts, over the planned days."""
        return with_rosters(self.scenario, shifts, days=self.days, interval=self.goals.interval, net=net)


def optimise(
    scenario: Scenario,
    goals: Goals,
    *,
    workers: int = 1,
    executor: Executor | None = None,
    progress: bool | None = None,
    compare: bool = True,
    say: Callable[[str], None] = lambda _: None,
) -> OptimiseResult:
    """The cheapest roster meeting ``goals``, verified by simulation (see the module docstring)."""
    started = time.perf_counter()
    grid = WeekGrid(goals.interval, scenario.start_weekday)
    with executor_scope(executor, workers, max(goals.replications, goals.verify_replications)) as ex:
        run = _Run(scenario, goals, grid, ex, progress, say)
        say(f"pilot: {goals.replications} replications of the scenario as staffed")
        pilot = run.simulate(run.staffed({}, net=False), goals.replications, "pilot")
        shares = served_shares(scenario, pilot)
        shrinkage = pilot_shrinkage(scenario, pilot)
        run.away = {name: shrinkage_cells(pilot, name, grid, share) for name, share in shrinkage.items()}
        targets = pool_targets(scenario, goals, pilot, shares)
        erlang, run.loads = erlang_curves(scenario, goals, grid, pilot, shares, targets)
        say("ISA: refining the requirement by simulation")
        found = _isa(run, erlang, targets)
        required = {name: run.gross(name, curve) for name, curve in found.curves.items()}
        roster, required, rounds = _verified(run, required, _trimmable(targets, goals))
        erlang_only = None
        if compare:
            say("Erlang-only roster: the per-interval Erlang requirement, scheduled and simulated")
            gross = {name: run.gross(name, curve) for name, curve in erlang.items()}
            erlang_only, _ = _judged(run, gross, "erlang_only", 1)
    return OptimiseResult(
        scenario=scenario,
        goals=goals,
        grid=grid,
        roster=roster,
        erlang=erlang,
        isa=found.curves,
        required=required,
        shrinkage=shrinkage,
        alphas=found.alphas,
        log=run.log,
        replications=run.replications,
        rounds=rounds,
        elapsed=time.perf_counter() - started,
        cost_unit=_unit(scenario),
        erlang_only=erlang_only,
        notes=_notes(roster) + run.notes,
    )


def _isa(run: _Run, start: Curves, targets: Sequence[PoolTarget]) -> IsaResult:
    """ISA on the network, each evaluation ``goals.replications`` replications on the run's seed."""

    def evaluate(curves: Curves) -> list[RunRecords]:
        shifts = {name: curve_shifts(curve.astype(int), run.grid.interval) for name, curve in curves.items()}
        return run.simulate(run.staffed(shifts, net=True), run.goals.replications, "ISA")

    def note(step: Step) -> None:
        for pool, hours in step.hours.items():
            run.log.append(
                {
                    "stage": "isa",
                    "round": step.search,
                    "iteration": step.iteration,
                    "pool": pool,
                    "alpha": step.alphas.get(pool, math.nan),
                    "agent_hours": hours,
                    "max_change": step.change,
                    "replications": run.goals.replications,
                    "note": "",
                }
            )
        run.say(f"  search {step.search}, iteration {step.iteration}: largest change {step.change:g} agents")

    return search(evaluate, start, targets, run.grid, note)


def _trimmable(targets: Sequence[PoolTarget], goals: Goals) -> list[str]:
    """The pools a cut may be tried on: those searched for a goal, or all when SLA or abandonment goals exist.

    SLA and abandonment goals hold the whole network. Without them, a pool staffed for its delay
    probability has no goal a cut could be checked against.
    """
    network = bool(goals.sla or goals.abandonment)
    return [target.pool for target in targets if target.searched or network]


def _verified(run: _Run, required: Curves, searched: list[str]) -> tuple[Roster, Curves, int]:
    """The roster checked by simulation: topped up where goals are missed, then trimmed while they stay met."""
    roster, required, rounds = _topped_up(run, required)
    if roster.met:
        roster, required, rounds = _trimmed(run, roster, required, rounds, searched)
        roster, required, rounds = _polished(run, roster, required, rounds, searched)
    return roster, required, rounds


def _topped_up(run: _Run, required: Curves) -> tuple[Roster, Curves, int]:
    """Schedule and simulate the requirement; while a goal is missed, add agents where it is missed (max_rounds)."""
    primary = primary_pools(run.scenario)
    required = {pool: curve.copy() for pool, curve in required.items()}
    for round_ in range(1, run.goals.max_rounds + 1):
        roster, runs = _judged(run, required, "optimised", round_)
        missed = [v for v in roster.verdicts if not v.judgement.met]
        if not missed or round_ == run.goals.max_rounds:
            return roster, required, round_
        extra = shortfall(missed, runs, primary, run.grid)
        extra = {pool: cells for pool, cells in extra.items() if pool in required and cells.any()}
        more = {pool: required[pool] + run.gross(pool, cells) for pool, cells in extra.items()}
        if not any(_covers_more(run, roster, pool, curve) for pool, curve in more.items()):
            run.notes.append(
                f"{', '.join(sorted(extra))}: the goals are missed where no allowed shift can add an agent "
                f"({'; '.join(v.goal.label for v in missed)}); add a template that works then"
            )
            run.say("  the allowed shifts cannot add agents where the goals are missed: stopping")
            return roster, required, round_
        required.update(more)
        added = sum(int(cells.sum()) for cells in extra.values())
        run.say(f"  round {round_} missed {len(missed)} goal(s): one more agent in {added} intervals")
    raise AssertionError("max_rounds is at least 1")


def _covers_more(run: _Run, roster: Roster, pool: str, required: np.ndarray) -> bool:
    """Whether scheduling the pool's larger requirement changes its shifts' coverage at all."""
    return not np.array_equal(_schedule(run, pool, required).coverage, roster.schedules[pool].coverage)


def _trimmed(
    run: _Run, roster: Roster, required: Curves, rounds: int, searched: list[str]
) -> tuple[Roster, Curves, int]:
    """Take agents off a searched pool's whole requirement while the cheaper roster still meets every goal.

    Only the ``searched`` pools are cut (see ``_trimmable``).

    ISA keeps the higher of its last two staffings, reads each interval from a few replications, and
    the shifts must cover its noisiest interval, so the roster can sit agents above what the goals
    need (most with a goal per day or week). Each pool, dearest first, gets the largest cut of
    ``k`` agents in every staffed interval that still meets every goal: ``k`` doubles from one until
    a cut misses a goal or saves nothing, then bisects, at most ``TRIM_TRIES`` checks per pool.
    """
    for pool in sorted(searched, key=lambda pool: -roster.schedules[pool].cost):
        good, bad, tries = 0, math.inf, 0
        while bad - good > 1 and tries < TRIM_TRIES:
            k = (good * 2 or 1) if math.isinf(bad) else (good + int(bad)) // 2
            cut = {**required, pool: _cut(run, pool, required[pool], k)}
            if _schedule(run, pool, cut[pool]).cost >= roster.schedules[pool].cost - 1e-9:
                bad = k
                continue
            tries += 1
            rounds += 1
            trial, _ = _judged(run, cut, "optimised", rounds, stage="trim")
            if not trial.met:
                bad = k
                continue
            run.say(f"  trim: {k} agent(s) fewer in {pool} still meets every goal")
            roster, good = trial, k
        required = {**required, pool: _cut(run, pool, required[pool], good)}
    return roster, required, rounds


def _polished(
    run: _Run, roster: Roster, required: Curves, rounds: int, searched: list[str]
) -> tuple[Roster, Curves, int]:
    """Take one agent off each interval of a pool that has room, keeping those where the cut misses a goal.

    The uniform cut stops at the pool's tightest interval, while ISA's sampling noise can leave other
    intervals agents above their need (most with goals per interval). Each round cuts one agent in
    every interval not yet found tight; a cheaper roster that meets every goal is kept, otherwise the
    intervals where the goals were missed (``shortfall``) are marked tight and the next round cuts
    the others, at most ``POLISH_ROUNDS`` checks per pool.
    """
    primary = primary_pools(run.scenario)
    for pool in sorted(searched, key=lambda pool: -roster.schedules[pool].cost):
        tight = np.zeros(run.grid.shape, dtype=bool)
        for _ in range(POLISH_ROUNDS):
            lower = _cut(run, pool, required[pool], 1)
            room = (lower < required[pool]) & ~tight
            cut = {**required, pool: np.where(room, lower, required[pool])}
            if not room.any() or _schedule(run, pool, cut[pool]).cost >= roster.schedules[pool].cost - 1e-9:
                break
            rounds += 1
            trial, runs = _judged(run, cut, "optimised", rounds, stage="polish")
            if trial.met:
                run.say(f"  polish: one agent fewer in {int(room.sum())} intervals of {pool} still meets every goal")
                roster, required = trial, cut
                continue
            missed = [v for v in trial.verdicts if not v.judgement.met]
            where = shortfall(missed, runs, primary, run.grid).get(pool, np.zeros(run.grid.shape)) > 0
            if not (where & room).any():
                break
            tight |= where & room
    return roster, required, rounds


def _cut(run: _Run, pool: str, curve: np.ndarray, agents: int) -> np.ndarray:
    """The pool's requirement with ``agents`` fewer on the phones in every staffed interval.

    It never goes below the pool's minimum, nor below the offered load the pilot measured in the
    interval: a queue staffed under its load only grows, and no goal may buy savings with that.
    """
    step = run.gross(pool, np.ones(run.grid.shape))
    low = np.maximum(run.goals.pool(pool).min_agents, np.ceil(run.loads[pool] - 1e-9)) * step
    return np.where(curve > 0, np.maximum(curve - agents * step, low), curve)


def _judged(run: _Run, required: Curves, name: str, round_: int, stage: str = "") -> tuple[Roster, list[RunRecords]]:
    """Schedule ``required`` into shifts, simulate the roster with shrinkage, and judge every goal."""
    schedules = {pool: _schedule(run, pool, curve) for pool, curve in required.items()}
    shifts = {pool: sched.shift_specs() for pool, sched in schedules.items()}
    scenario = run.staffed(shifts, net=False)
    runs = run.simulate(scenario, run.goals.verify_replications, f"verify {name}")
    kpis = pd.DataFrame([replication_kpis(r, scenario) for r in runs])
    judged = verdicts(goal_list(run.goals), runs, kpis, run.grid, live_channels(scenario))
    cost, fixed = _costs(run.scenario, schedules)
    for pool, sched in schedules.items():
        run.log.append(
            {
                "stage": stage or ("verify" if name == "optimised" else "erlang_only"),
                "round": round_,
                "iteration": 1,
                "pool": pool,
                "alpha": math.nan,
                "agent_hours": sched.paid_hours,
                "max_change": math.nan,
                "replications": run.goals.verify_replications,
                "note": ", ".join(v.goal.label for v in judged if not v.judgement.met) or "every goal met",
            }
        )
    return Roster(name, schedules, scenario, judged, kpis, cost, fixed), runs


def _schedule(run: _Run, pool: str, required: np.ndarray) -> PoolSchedule:
    """One pool's cheapest shifts covering its requirement, with its templates, price and head-count cap."""
    limits = run.goals.pool(pool)
    spec = next(p for p in run.scenario.pools if p.name == pool)
    templates = [
        ShiftTemplate(
            name=resolved(t.name),
            starts=tuple(t.start_minutes()),
            lengths=tuple(t.lengths),
            days=tuple(WEEKDAYS.index(d) for d in t.days),
            break_after=None if t.break_ is None else t.break_.after,
            break_length=0.0 if t.break_ is None else t.break_.length,
        )
        for t in limits.templates or []
    ]
    rate = spec.cost_per_hour if limits.cost_per_hour is None else limits.cost_per_hour
    return schedule(required, run.grid.interval, templates, rate, limits.max_agents)


def _costs(scenario: Scenario, schedules: dict[str, PoolSchedule]) -> tuple[float, float]:
    """The roster's weekly cost (priced, or paid hours when no pool has a price), and the fixed pools' part."""
    priced = any(pool.cost_per_hour > 0 for pool in scenario.pools)
    total = fixed = 0.0
    for pool in staffed_pools(scenario):
        rate = pool.cost_per_hour if priced else 1.0
        if pool.name in schedules:
            total += schedules[pool.name].paid_hours * rate
        else:
            fixed += weekly_agent_hours(pool) * rate
    return total + fixed, fixed


def _unit(scenario: Scenario) -> str:
    """The cost's unit: dollars when any pool has a price, else paid agent-hours."""
    priced = any(pool.cost_per_hour > 0 for pool in scenario.pools)
    return "$ per week" if priced else "paid agent-hours per week"


def _notes(roster: Roster) -> list[str]:
    """What a planner must know about the roster: requirement the shift templates could not cover."""
    notes = []
    for pool, sched in roster.schedules.items():
        short = sched.shortfall
        if short.any():
            days = sorted({WEEKDAYS[d] for d in np.nonzero(short.any(axis=1))[0]}, key=WEEKDAYS.index)
            notes.append(
                f"{pool}: the allowed shifts cannot cover {short.sum():g} agent-intervals of the requirement "
                f"(on {', '.join(days)}); add a template that works then"
            )
    return notes
