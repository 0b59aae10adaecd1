"""The command line: ``run``, ``validate`` and ``schema`` (see ``--help`` of each).

Exit codes: 0 success, 2 a scenario or usage problem (one clear message, no traceback),
1 an unexpected failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sim.display import kpi_table
from sim.experiment import run
from sim.loader import ScenarioError, load_scenario
from sim.output import write_run
from sim.scenario import Scenario
from sim.units import format_duration


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="escalation-sim",
                                     description="Simulate customer-support operations: tiers, escalations, SLAs.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p_run = sub.add_parser("run", help="simulate a scenario and print its KPIs with 95%% confidence intervals")
    p_run.add_argument("scenario", help="scenario YAML file, e.g. scenarios/baseline.yaml")
    p_run.add_argument("--replications", "-r", type=int, help="number of replications (default: the scenario's)")
    p_run.add_argument("--seed", type=int, help="base random seed (default: the scenario's)")
    p_run.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                       help="override a field, e.g. --set teams.tier1.agents=14 (repeatable)")
    p_run.add_argument("--out", default="results", help="results folder (default: results/)")
    p_run.add_argument("--no-events", action="store_true", help="do not record the per-event log (faster, smaller)")
    p_run.add_argument("--quiet", action="store_true", help="no progress bar")

    p_val = sub.add_parser("validate", help="check a scenario file and report every problem")
    p_val.add_argument("scenario")
    p_val.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")

    sub.add_parser("schema", help="print the scenario JSON Schema (for editor autocompletion)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ScenarioError as exc:
        print(f"error: {exc.render()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def cmd_run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, args.overrides)
    if args.replications is not None and args.replications < 1:
        print("error: --replications must be at least 1", file=sys.stderr)
        return 2
    result = run(scenario, args.replications, args.seed, progress=False if args.quiet else None,
                 record_events=not args.no_events)
    folder = write_run(result, args.out)
    print(_headline(scenario, result.meta["replications"], result.meta["seed"], result.elapsed))
    print(kpi_table(result.summary))
    print(f"\nresults: {folder}")
    return 0


def _headline(scenario: Scenario, replications: int, seed: int, elapsed: float) -> str:
    warm = f", {format_duration(scenario.warmup)} warm-up" if scenario.warmup else ""
    return (f"{scenario.name}: {replications} replication{'s' * (replications != 1)} of "
            f"{format_duration(scenario.horizon)}{warm}, seed {seed} ({elapsed:.1f}s)\n")


def cmd_validate(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, args.overrides)
    print(f"{Path(args.scenario)}: ok ({len(scenario.channels)} channels, {len(scenario.categories)} categories, "
          f"{len(scenario.teams)} teams, {len(scenario.sla_policies)} SLA policies)")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2))
    return 0


COMMANDS = {"run": cmd_run, "validate": cmd_validate, "schema": cmd_schema}
