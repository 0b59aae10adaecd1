"""Loading a sweep file into a ``SweepPlan``: the base scenario resolved, every point built and checked.

What a sweep file may say is its schema, ``sim.experiments.sweep_spec``. Parameter names are
override paths (list items by name or ``[index]``; one field may not be varied under two
spellings). Loading checks the file against that schema (unknown fields are errors), resolves the
base, builds every point and validates every point's scenario before anything runs, so a typo
costs seconds, not a night. Points combine values of fields, and a number inside one team,
channel, category, calendar or SLA policy is checked with that record only, so when every
parameter is such a number each record's distinct values are validated once (a 100,000-point
grid takes about a second); other designs validate each point. Errors name the file, the line and
the field path, like the scenario loader's.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.analysis.kpi_names import kpi_problem
from sim.analysis.staffing import is_staffing_sweep
from sim.core.units import parse_duration
from sim.experiments.design import DESIGNS, Interval, Point, grid
from sim.experiments.sweep_spec import MAX_GRID_VALUES, IntervalSpec, SweepSpec, ValueRange, describe_sweep_error
from sim.scenario.errors import ScenarioError
from sim.scenario.fields import Path as FieldPath
from sim.scenario.overrides import Override, apply_overrides
from sim.scenario.spec import Scenario
from sim.scenario.variants import (
    BaseDocument,
    clash_message,
    field_path,
    override,
    read_document,
    spelling_clashes,
)
from sim.scenario.workload import Workload, channel_tickets, estimate, pool_agents
from sim.scenario.yaml_source import read_mapping

MAX_REPORTED = 10


@dataclass
class SweepPlan:
    """A loaded sweep: its spec, base document and scenario, and every point to run."""

    name: str
    source: str
    spec: SweepSpec
    base: BaseDocument
    base_scenario: Scenario
    points: list[Point]
    replications: int
    seed: int
    kpis: tuple[str, ...] | None
    workloads: list[Workload] = field(default_factory=list)
    """Each point's expected work per replication (for the limits), found while validating."""

    @property
    def tasks(self) -> int:
        """Simulation runs in all: points times replications."""
        return len(self.points) * self.replications

    @property
    def parameters(self) -> list[str]:
        """Every parameter some point sets, in first-seen order."""
        return list(dict.fromkeys(name for point in self.points for name in point))

    def overrides(self, point_id: int) -> list[str]:
        """One point as ``path=value`` overrides of the base."""
        return [override(path, value) for path, value in self.points[point_id].items()]

    def scenario(self, point_id: int) -> Scenario:
        """The validated scenario of one point."""
        # a problem names the parameter (not its value), so points with the same problem are counted together
        changes = [Override(text, text.split("=", 1)[0]) for text in self.overrides(point_id)]
        return self.base.scenario(changes, f"{self.source} point {point_id}")

    def resolved(self) -> dict:
        """The sweep with every default filled in, its points listed and its base scenario resolved."""
        return {
            "name": self.name,
            "description": self.spec.description,
            "source": self.source,
            "base": self.spec.base,
            "set": self.spec.set_,
            "design": self.spec.design,
            "sample": self.spec.sample.model_dump() if self.spec.sample else None,
            "replications": self.replications,
            "seed": self.seed,
            "kpis": list(self.kpis) if self.kpis else None,
            "points": [{"point_id": i, **point} for i, point in enumerate(self.points)],
            "base_scenario": self.base_scenario.model_dump(mode="json", by_alias=True, exclude_none=True),
        }

    def fingerprint(self) -> str:
        """A hash of everything that decides the results (not the name or description)."""
        doc = self.resolved()
        decisive = {key: doc[key] for key in ("replications", "seed", "kpis", "points", "base_scenario")}
        return hashlib.sha256(json.dumps(decisive, sort_keys=True, default=str).encode()).hexdigest()[:16]


def load_sweep(path: str | Path) -> SweepPlan:
    """Read and check a sweep file, its base scenario and every point; ``ScenarioError`` lists all problems."""
    path = Path(path)
    spec, lines = _read_spec(path)
    fail = _Problems(str(path), lines)
    fail.extend(_shape_problems(spec))
    base = _base_document(spec, path.parent / spec.base, fail, lines)
    base_scenario = base.scenario()
    for i, name in enumerate(spec.kpis or ()):
        if problem := kpi_problem(name, base_scenario):
            fail.add(("kpis", i), problem)
        elif name in (spec.kpis or [])[:i]:
            fail.add(("kpis", i), f"{name!r} is listed twice; list each KPI once")
    points = _design_points(spec)
    fail.extend(_path_problems(spec, points, base))
    fail.raise_any()
    fail.extend(_spelling_problems(spec, points, base))
    fail.extend(_sweep_owned_problems(spec, points, base))
    fail.raise_any()
    plan = SweepPlan(
        name=spec.name or path.stem,
        source=str(path),
        spec=spec,
        base=base,
        base_scenario=base_scenario,
        points=points,
        replications=spec.replications or base_scenario.replications,
        seed=base_scenario.seed if spec.seed is None else spec.seed,
        kpis=_with_overtime(spec.kpis, points, base_scenario),
    )
    problems, plan.workloads = _check_points(plan)
    fail.extend(iter(problems))
    fail.raise_any()
    return plan


def _with_overtime(kpis: list[str] | None, points: list[Point], base: Scenario) -> tuple[str, ...] | None:
    """The KPIs a sweep keeps; a staffing sweep also keeps each shift team's overtime, which its cost includes."""
    if not kpis:
        return None
    if not is_staffing_sweep(list(dict.fromkeys(name for point in points for name in point))):
        return tuple(kpis)
    overtime = [f"overtime_hours.{t.name}" for t in base.teams if t.shifts is not None]
    return tuple(dict.fromkeys([*kpis, *overtime]))


def _read_spec(path: Path) -> tuple[SweepSpec, dict[FieldPath, int]]:
    """The file parsed and checked against the schema, with the line of every field."""
    data, lines, source = read_mapping(path, "a sweep must be a mapping of fields (base:, parameters:, …)")
    try:
        return SweepSpec.model_validate(data), lines
    except ValidationError as exc:
        raise ScenarioError(source, [describe_sweep_error(err) for err in exc.errors()], lines) from None


def _base_document(spec: SweepSpec, base_path: Path, fail: _Problems, lines: dict[FieldPath, int]) -> BaseDocument:
    """The base scenario's document with the sweep's fixed ``set:`` overrides applied.

    Each override is named by its line of the sweep file, so a problem it causes in the base
    scenario points there, not to the base file.
    """
    if not base_path.is_file():
        fail.add(("base",), f"no scenario file at {base_path}")
    fail.raise_any()
    base = read_document(base_path)
    for i, text in enumerate(spec.set_):
        line = lines.get(("set", i), lines.get(("set",)))
        name = f"{fail.source}{f':{line}' if line else ''}: set[{i}]: {text}"
        try:
            base = base.with_overrides([Override(text, name)])
        except ScenarioError as exc:
            fail.extend((("set", i), f"{text}: {message}") for _, message in exc.problems)
    fail.raise_any()
    return base


class _Problems:
    """Problems found so far in one sweep file, raised together."""

    def __init__(self, source: str, lines: dict[FieldPath, int]) -> None:
        self.source, self.lines = source, lines
        self.items: list[tuple[FieldPath, str]] = []

    def add(self, path: FieldPath, message: str) -> None:
        self.items.append((path, message))

    def extend(self, problems: Iterator[tuple[FieldPath, str]]) -> None:
        self.items.extend(problems)

    def raise_any(self) -> None:
        if self.items:
            raise ScenarioError(self.source, self.items, self.lines)


def _shape_problems(spec: SweepSpec) -> Iterator[tuple[FieldPath, str]]:
    """Combinations of fields that do not make a design."""
    if spec.points is not None and (spec.parameters or spec.sample):
        yield ("points",), "give either points (an explicit list) or parameters (a grid or sample), not both"
    elif spec.points is None and not spec.parameters:
        yield ("parameters",), "name at least one parameter to vary (path: values), or list points"
    for name, parameter in spec.parameters.items():
        if isinstance(parameter, list) and not parameter:
            yield ("parameters", name), "give at least one value"
        if isinstance(parameter, list) and (twice := _repeated(parameter)):
            yield ("parameters", name), f"{twice} is listed twice; each value makes its own points, so give it once"
        if isinstance(parameter, IntervalSpec) and spec.sample is None:
            yield (
                ("parameters", name),
                ("an interval is sampled: add sample: {method: lhs, n: 20}, or give a list or a range for a grid"),
            )
    if spec.sample is None:
        size = math.prod(len(_grid_values(p)) for p in spec.parameters.values() if not isinstance(p, IntervalSpec))
        if size > MAX_GRID_VALUES:
            yield ("parameters",), f"this grid has {size:,} points (at most {MAX_GRID_VALUES:,}); sample it instead"


def _repeated(values: list[Any]) -> str | None:
    """The first value that appears twice in ``values`` (as YAML would write it), or None."""
    seen: set[str] = set()
    for value in values:
        key = json.dumps(value, sort_keys=True, default=str)
        if key in seen:
            return key
        seen.add(key)
    return None


def _grid_values(parameter: Any) -> list[Any]:
    return parameter.values() if isinstance(parameter, ValueRange) else parameter


def _design_points(spec: SweepSpec) -> list[Point]:
    if spec.points is not None:
        return [dict(point) for point in spec.points]
    if spec.sample is None:
        return grid({name: _grid_values(p) for name, p in spec.parameters.items()})
    space = {
        name: Interval(p.low, p.high, p.integer) if isinstance(p, IntervalSpec) else _grid_values(p)
        for name, p in spec.parameters.items()
    }
    return DESIGNS[spec.sample.method](space, spec.sample.n, spec.sample.seed)


def _path_problems(spec: SweepSpec, points: list[Point], base: BaseDocument) -> Iterator[tuple[FieldPath, str]]:
    """Every parameter must name a place in the base scenario (list items by name or index)."""
    where = "points" if spec.points is not None else "parameters"
    seen: set[str] = set()
    for i, point in enumerate(points):
        for name, value in point.items():
            if name in seen:
                continue
            seen.add(name)
            try:
                apply_overrides(base.data, [override(name, value)], base.source)
            except ScenarioError as exc:
                path = ("points", i, name) if where == "points" else ("parameters", name)
                yield from ((path, message) for _, message in exc.problems)


def _spelling_problems(spec: SweepSpec, points: list[Point], base: BaseDocument) -> Iterator[tuple[FieldPath, str]]:
    """Two parameters that name one field (``teams.tier1.agents`` and ``teams[0].agents``), or a field inside another.

    The later one would silently win (or change part of the other), so the points would not be what
    the file says; every spelling the path syntax accepts is mapped to one path before comparing.
    """
    names = [name for point in points for name in point]
    for first, second in spelling_clashes(base.data, names):
        where: FieldPath = ("points",) if spec.points is not None else ("parameters", second)
        yield where, clash_message(base.data, first, second).replace("; set ", "; vary ")


_SWEEP_OWNED: dict[FieldPath, str] = {
    ("seed",): "runs on the sweep's own seed (seed: in the sweep file, by default the base's), so that points are "
    "compared under common random numbers",
    ("replications",): "runs the sweep's own replications (replications: in the sweep file, by default the base's)",
}
"""Top-level fields a point cannot vary: the sweep runs every point with its own, and why."""


def _sweep_owned_problems(spec: SweepSpec, points: list[Point], base: BaseDocument) -> Iterator[tuple[FieldPath, str]]:
    """A point that varies the seed or the replications, which the sweep would silently ignore."""
    for name in dict.fromkeys(name for point in points for name in point):
        owned = _SWEEP_OWNED.get(field_path(base.data, name))
        if owned is not None:
            where: FieldPath = ("points",) if spec.points is not None else ("parameters", name)
            yield where, f"every point {owned}; a point cannot vary {name!r}: set it at the top of the sweep file"


_RECORDS = ("channels", "categories", "teams", "calendars", "sla_policies")
"""Lists of named records; a number inside one is checked with its own record only (see ``_record``)."""
_LINKS = frozenset(
    {"name", "category_mix", "priority", "segment", "warnings", "supervisor", "skill", "skills", "calendar", "path"}
    | {"match", "requires", "channel_order", "return_to", "authority_mode", "on_reopen", "abandoned", "days", "hours"}
)
"""Fields whose values tie records together (names, mixes over names, SLA warning fractions, enums)."""


def _record(path: FieldPath, values: list[Any]) -> FieldPath | None:
    """The record (``('teams', 2)``) a parameter changes without affecting any other record's checks, or None.

    A parameter is local to its record when it lies inside one item of a list of records and
    every value it takes (and the base's) is a number, a duration or a distribution, never a name,
    a mix or a link: the cross-checks (``sim.scenario.checks``) read numbers of a record only in
    checks of that record (a team's agents, a category's times and probabilities); they compare
    numbers across records only for mix weights, SLA warning fractions and top-level fields, which
    are never local. Points then combine each record's values independently.
    """
    if len(path) < 3 or path[0] not in _RECORDS or not isinstance(path[1], int):
        return None
    if any(step in _LINKS for step in path if isinstance(step, str)):
        return None
    return path[:2] if all(_quantity(value) for value in values) else None


def _quantity(value: Any) -> bool:
    """A number, a duration such as ``'4h'``, or a distribution of them."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, str):
        try:
            parse_duration(value)
        except (ValueError, TypeError):
            return False
        return True
    if isinstance(value, dict) and isinstance(value.get("dist"), str):
        return all(_quantity(v) for k, v in value.items() if k != "dist")
    return False


def _at(data: Any, path: FieldPath) -> Any:
    for step in path:
        if isinstance(data, dict):
            data = data.get(step)
        elif isinstance(data, list) and isinstance(step, int) and step < len(data):
            data = data[step]
        else:
            return None
    return data


def _groups(plan: SweepPlan) -> dict[FieldPath, list[str]] | None:
    """Parameters grouped by the record each one changes on its own; None when some may interact across records."""
    groups: dict[FieldPath, list[str]] = {}
    for name in plan.parameters:
        path = field_path(plan.base.data, name)
        values = [point[name] for point in plan.points if name in point] + [_at(plan.base.data, path)]
        record = _record(path, values)
        if record is None:
            return None
        groups.setdefault(record, []).append(name)
    return groups


def _check_points(plan: SweepPlan) -> tuple[list[tuple[FieldPath, str]], list[Workload]]:
    """Every point's problems (each distinct problem once, with the points it hits) and its workload.

    Points are combinations of values, so when every parameter is local to one record (``_record``),
    a point's problems are the union of its records' problems and each record's distinct values are
    validated once, with the rest of the base (a 100,000-point grid of 5 fields of 10 values: 50
    scenarios). Otherwise, or when that is not fewer, every point's scenario is validated.
    """
    groups = _groups(plan)
    keys: dict[FieldPath, dict[str, list[int]]] = {}
    if groups is not None:
        for record, names in groups.items():
            by_key = keys.setdefault(record, {})
            for point_id, point in enumerate(plan.points):
                key = json.dumps([point.get(name, "\0base") for name in names], sort_keys=True, default=str)
                by_key.setdefault(key, []).append(point_id)
    if groups is None or sum(map(len, keys.values())) >= len(plan.points):
        return _check_each_point(plan)
    assert groups is not None
    hits: dict[str, list[int]] = {}
    base = estimate(plan.base_scenario)
    channels, pools = list(base.channels), list(base.pools)
    tickets: list[dict[str, float]] = [{} for _ in plan.points]
    agents: list[dict[str, int]] = [{} for _ in plan.points]
    for record, names in groups.items():
        for ids in keys[record].values():
            point = plan.points[ids[0]]
            overrides = [Override(override(name, point[name]), name) for name in names if name in point]
            try:
                scenario = plan.base.scenario(overrides, f"{plan.source} point {ids[0]}")
            except ScenarioError as exc:
                for problem in range(len(exc.problems)):
                    hits.setdefault(exc.describe(problem), []).extend(ids)
                continue
            index = record[1]
            assert isinstance(index, int)
            if record[0] == "channels":
                name = channels[index]
                arrivals = channel_tickets(scenario)[index]
                for point_id in ids:
                    tickets[point_id][name] = arrivals
            elif record[0] == "teams":
                name = pools[index]
                size = pool_agents(scenario)[name]
                for point_id in ids:
                    agents[point_id][name] = size
    workloads = [
        replace(base, channels=base.channels | changed, pools=base.pools | sizes)
        for changed, sizes in zip(tickets, agents, strict=True)
    ]
    return _report(plan, {message: sorted(ids) for message, ids in hits.items()}), workloads


def _check_each_point(plan: SweepPlan) -> tuple[list[tuple[FieldPath, str]], list[Workload]]:
    """Validate every point's scenario (parameters that may interact across records, or few points)."""
    hits: dict[str, list[int]] = {}
    workloads = []
    for point_id in range(len(plan.points)):
        try:
            scenario = plan.scenario(point_id)
        except ScenarioError as exc:
            for index in range(len(exc.problems)):
                hits.setdefault(exc.describe(index), []).append(point_id)
            continue
        workloads.append(estimate(scenario))
    return _report(plan, hits), workloads


def _report(plan: SweepPlan, hits: dict[str, list[int]]) -> list[tuple[FieldPath, str]]:
    """Each distinct problem once, in the order of the first point it hits, with how many points it hits."""
    found = []
    for message, ids in sorted(hits.items(), key=lambda item: item[1][0])[:MAX_REPORTED]:
        first = ids[0]
        values = ", ".join(f"{k}={v!r}" for k, v in plan.points[first].items())
        count = f"{len(ids)} points, e.g. point {first}" if len(ids) > 1 else f"point {first}"
        where: FieldPath = ("points", first) if plan.spec.points is not None else ("parameters",)
        found.append((where, f"{count} ({values}) makes an invalid scenario: {message}"))
    return found
