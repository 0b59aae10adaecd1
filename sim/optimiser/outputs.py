"""The optimiser's run folder, ``results/optimise/<run>/``: the roster, the requirement, the check, the log.

Files (the report reads only these): ``roster.yaml`` (pasteable shifts per pool), ``requirement.csv``
(per pool and interval: Erlang, ISA, after shrinkage, rostered, Erlang-only rostered),
``service_levels.csv`` (per channel and interval, both rosters, mean and 95 % interval),
``goals.csv`` (every goal on both rosters: achieved, interval, probability of meeting it, met),
``iterations.csv``, ``costs.csv`` and ``summary.yaml``. The folder is written under a temporary name
and renamed when complete.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.special import stdtrit

from sim.core.atomic import new_folder, safe_name, unique_path
from sim.optimiser.optimise import OptimiseResult, Roster

ROSTERS = ("optimised", "erlang_only")


def write_optimisation(result: OptimiseResult, out_root: str | Path = "results", run_id: str | None = None) -> Path:
    """Write the optimiser's folder under ``out_root/optimise/``; return its path."""
    run_id = safe_name(run_id or f"{dt.datetime.now():%Y%m%d-%H%M%S}-{result.scenario.name}")
    final = unique_path(Path(out_root) / "optimise", run_id)
    with new_folder(final) as tmp:
        (tmp / "roster.yaml").write_text(roster_yaml(result), encoding="utf-8")
        requirement_table(result).to_csv(tmp / "requirement.csv", index=False)
        service_level_table(result).to_csv(tmp / "service_levels.csv", index=False)
        goals_table(result).to_csv(tmp / "goals.csv", index=False)
        pd.DataFrame(result.log).to_csv(tmp / "iterations.csv", index=False)
        costs_table(result).to_csv(tmp / "costs.csv", index=False)
        summary = summary_doc(result, final.name)
        (tmp / "summary.yaml").write_text(yaml.safe_dump(summary, sort_keys=False, allow_unicode=True), "utf-8")
    return final


def rosters(result: OptimiseResult) -> list[Roster]:
    """The optimised roster, then the Erlang-only one when it was made."""
    return [r for r in (result.roster, result.erlang_only) if r is not None]


def roster_yaml(result: OptimiseResult) -> str:
    """The optimised shifts as a scenario fragment, with a header saying how to use it."""
    teams = {t.name for t in result.scenario.teams}
    doc: dict[str, dict] = {}
    for pool, sched in result.roster.schedules.items():
        doc.setdefault("teams" if pool in teams else "agent_groups", {})[pool] = {"shifts": sched.shift_specs()}
    header = (
        f"# Roster found by the optimiser for scenario '{result.scenario.name}' "
        f"({result.roster.cost:,.0f} {result.cost_unit}).\n"
        "# Paste each pool's shifts into the scenario (replacing its 'agents' or 'shifts'), or pass them with\n"
        "#   --set 'teams.<name>.shifts=[...]'  (agent groups: agent_groups.<name>.shifts)\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=120)


def requirement_table(result: OptimiseResult) -> pd.DataFrame:
    """Per optimised pool and cell: Erlang, ISA, after shrinkage, rostered and Erlang-only rostered agents."""
    days, slots, _ = result.grid.labels()
    frames = []
    for pool, sched in result.roster.schedules.items():
        other = result.erlang_only.schedules.get(pool) if result.erlang_only else None
        frames.append(
            pd.DataFrame(
                {
                    "pool": pool,
                    "weekday": days,
                    "slot": slots,
                    "start": np.array(slots) * result.grid.interval,
                    "erlang": result.erlang[pool].ravel(),
                    "isa": result.isa[pool].ravel(),
                    "required": result.required[pool].ravel(),
                    "rostered": sched.coverage.ravel(),
                    "erlang_only": other.coverage.ravel() if other is not None else np.nan,
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def service_level_table(result: OptimiseResult) -> pd.DataFrame:
    """Per channel with a service-level goal, roster and cell: the mean service level and its 95 % interval."""
    days, slots, _ = result.grid.labels()
    frames = []
    for roster in rosters(result):
        for verdict in roster.verdicts:
            if verdict.cells is None:
                continue
            mean, low, high = _cell_interval(verdict.cells.levels())
            frames.append(
                pd.DataFrame(
                    {
                        "channel": verdict.goal.subject,
                        "weekday": days,
                        "slot": slots,
                        "start": np.array(slots) * result.grid.interval,
                        "target": verdict.goal.target,
                        "goal": verdict.goal.value,
                        "roster": roster.name,
                        "service_level": mean,
                        "ci_low": low,
                        "ci_high": high,
                        "offered": verdict.cells.decided.mean(axis=0).ravel(),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _cell_interval(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell (flattened), the mean over replications and its 95 % Student-t interval cut to [0, 1]."""
    flat = values.reshape(values.shape[0], -1)
    count = np.sum(~np.isnan(flat), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, np.nansum(flat, axis=0) / np.maximum(count, 1), np.nan)
        spread = np.sqrt(np.nansum((flat - mean) ** 2, axis=0) / np.maximum(count - 1, 1))
    half = np.where(count > 1, stdtrit(np.maximum(count - 1, 1), 0.975) * spread / np.sqrt(np.maximum(count, 1)), 0.0)
    return mean, np.clip(mean - half, 0, 1), np.clip(mean + half, 0, 1)


def goals_table(result: OptimiseResult) -> pd.DataFrame:
    """Every goal on each roster: the worst judged period's mean, its interval, P(met) and whether it is met."""
    rows = [
        {
            "label": v.goal.label,
            "kind": v.goal.kind,
            "subject": v.goal.subject or "live channels",
            "per": v.goal.per,
            "goal": v.goal.value,
            "roster": roster.name,
            "achieved": v.judgement.achieved,
            "ci_low": v.judgement.low,
            "ci_high": v.judgement.high,
            "probability_met": v.judgement.probability,
            "met": v.judgement.met,
        }
        for roster in rosters(result)
        for v in roster.verdicts
    ]
    return pd.DataFrame(rows)


def costs_table(result: OptimiseResult) -> pd.DataFrame:
    """Per roster and optimised pool: paid hours and cost per week."""
    priced = result.cost_unit.startswith("$")
    rows = []
    for roster in rosters(result):
        for pool, sched in roster.schedules.items():
            spec = next(p for p in result.scenario.pools if p.name == pool)
            rate = result.goals.pool(pool).cost_per_hour
            rate = spec.cost_per_hour if rate is None else rate
            rows.append(
                {
                    "roster": roster.name,
                    "pool": pool,
                    "paid_hours": sched.paid_hours,
                    "cost": sched.paid_hours * (rate if priced else 1.0),
                }
            )
    return pd.DataFrame(rows)


def summary_doc(result: OptimiseResult, run_id: str) -> dict:
    """The run in a few numbers: cost, goals met, replications and iterations, and the Erlang-only comparison."""
    log = pd.DataFrame(result.log)
    iterations = {}
    if not log.empty:
        for stage, rows in log.groupby("stage", sort=False):
            iterations[str(stage)] = int(rows[["round", "iteration"]].drop_duplicates().shape[0])
    other = result.erlang_only
    return {
        "scenario": result.scenario.name,
        "goals_file": result.goals_file,
        "run_id": run_id,
        "interval": float(result.grid.interval),
        "horizon_days": float(result.goals.horizon / 1440),
        "start_date": result.scenario.start_date.isoformat(),
        "confidence": result.goals.confidence,
        "cost": float(result.roster.cost),
        "cost_unit": result.cost_unit,
        "replications_used": int(result.replications),
        "iterations": iterations,
        "elapsed_seconds": round(float(result.elapsed), 1),
        "all_goals_met": bool(result.roster.met),
        "alphas": {pool: round(float(a), 4) for pool, a in result.alphas.items()},
        "shrinkage": {pool: round(float(s), 4) for pool, s in result.shrinkage.items()},
        "erlang_only": None
        if other is None
        else {"cost": float(other.cost), "all_goals_met": bool(other.met), "goals_missed": other.missed},
        "notes": list(result.notes),
    }
