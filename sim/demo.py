"""Trainer demos: bundled teaching comparisons that run in a minute and end in a report.

Each demo is a bundled scenario and one or two variants of it that differ in a single policy —
cold or warm handoffs, tiered or swarming escalation, a $500 or $1,000 frontline refund limit.
``run_demo`` simulates every scenario on the same random numbers, keeps each one's tables (so
that the report can draw where tickets go), writes a comparison folder with a teaching note
(``demo.yaml``: the question, the story, what to look for) and renders its ``report.html``.
``run_sim.py demo --list`` lists the demos; ``run_sim.py demo NAME`` runs one.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli_common import command_parser, folder

if TYPE_CHECKING:  # the demos' code is imported when a demo runs, so `--help` stays quick
    from sim.experiments.executors import Executor
    from sim.experiments.replications import RunResult
    from sim.scenario.spec import Scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@dataclass(frozen=True)
class Demo:
    """A teaching comparison: a bundled scenario (the base) and its variants, with the story to tell."""

    name: str
    summary: str
    scenario: str
    base: str
    variants: dict[str, tuple[str, ...]]
    question: str
    story: str
    look_for: tuple[str, ...]
    kpis: tuple[str, ...] = ()
    replications: int = 5
    overrides: tuple[str, ...] = field(default=())

    def scenarios(self) -> dict[str, Scenario]:
        """The base and its variants, labelled, in order."""
        from sim.scenario.variants import read_document

        document = read_document(SCENARIOS / self.scenario)
        labelled = {self.base: document.scenario(self.overrides)}
        for label, changes in self.variants.items():
            labelled[label] = document.scenario([*self.overrides, *changes])
        return labelled

    def note(self) -> dict:
        """The teaching note the report shows above the results."""
        return {
            "demo": self.name,
            "title": f"Demo: {self.summary}",
            "question": self.question,
            "story": self.story,
            "look_for": list(self.look_for),
            "kpis": list(self.kpis),
        }


DEMOS = {
    demo.name: demo
    for demo in [
        Demo(
            name="handoff",
            summary="cold versus warm handoffs between the frontline and specialists",
            scenario="handoff.yaml",
            base="cold",
            variants={"warm": ("escalation.handoff.mode=warm", "escalation.handoff.context_complete=0.95")},
            question="What does a warm handoff buy, and what does it cost?",
            story="An energy supplier's frontline moves a quarter of its contacts to collections, complaints or "
            "metering. Cold: the customer goes back into the specialists' queue and half the time the notes "
            "are not enough, so the specialist asks again. Warm: the frontline agent stays on the line until "
            "a specialist picks up (for up to three minutes; then the transfer goes cold), introduces the "
            "customer, and the story travels almost always. Callers can hang up in either queue.",
            look_for=(
                "Rework from lost context per ticket falls sharply: specialists stop re-asking.",
                "Frontline utilisation rises: warm senders hold the line until a specialist picks up (or "
                "three minutes pass), then introduce the customer.",
                "With the frontline busier, do phone and chat customers wait longer? Look at the service "
                "level and abandonment, and at what a resolved ticket costs.",
            ),
            kpis=(
                "rework_per_ticket",
                "utilisation.tier1",
                "service_level.phone",
                "abandonment_rate",
                "abandonment_rate_after_transfer",
                "utilisation.collections",
                "cost_per_resolved",
            ),
        ),
        Demo(
            name="swarming",
            summary="tiered escalation versus swarming in product support",
            scenario="swarming.yaml",
            base="tiered",
            variants={"swarm": ("escalation.mode=swarm",)},
            question="Should the frontline pass hard tickets up the tiers, or pull a specialist in?",
            story="A B2B software company's support: when a frontline attempt fails, the tiered desk transfers the "
            "ticket cold to tier 2 (and on to engineering), where it queues and often arrives without enough "
            "context. The swarming desk keeps the ticket at the frontline and asks tier 2 for a consult; if "
            "a specialist picks it up within minutes, the two work it together (and solve it as often as tier 2 "
            "would; a failed consult is transferred).",
            look_for=(
                "Handoffs per ticket and rework fall; most tickets end where they started (tier 1).",
                "The flow diagrams: blue tier1 → tier2 transfers in the tiered desk turn into green consults "
                "under swarming, and tier 2 resolves far fewer tickets itself.",
                "Resolution time: does it fall on average, and for the slowest tenth (90th percentile)?",
                "Tier 1 is busier (waiting for and sitting in consults): the price of the faster answer.",
                "Abandonment: tickets that still go to tier 2 wait behind the consults, and more of those "
                "customers hang up (resolution times count only the tickets that were resolved).",
            ),
            kpis=(
                "handoffs_mean",
                "rework_per_ticket",
                "resolution_time_mean",
                "resolution_time_p90",
                "utilisation.tier1",
                "utilisation.tier2",
            ),
        ),
        Demo(
            name="authority",
            summary="frontline refund authority of $500 versus $1,000",
            scenario="authority.yaml",
            base="limit_500",
            variants={"limit_1000": ("teams.tier1.authority.refund_amount=1000",)},
            question="How much supervisor time does a higher frontline refund limit free?",
            story="An online retailer's agents handle refunds end to end unless the amount is above their "
            "authority; then, after the time already spent with the customer, the ticket goes up to a team "
            "lead. About 12 % of refunds exceed $500, under 4 % exceed $1,000.",
            look_for=(
                "Authority escalations fall by about two thirds.",
                "Team leads' utilisation falls sharply; refund tickets stop waiting for a lead.",
                "Not in the model: the risk of larger refunds approved without a second pair of eyes — "
                "that is the trade-off to discuss.",
            ),
            kpis=(
                "escalation_reason.authority",
                "escalation_rate",
                "utilisation.team_leads",
                "time_in_team.team_leads",
                "resolution_time_mean",
                "resolution_time_p90",
            ),
        ),
    ]
}


def describe_demos() -> str:
    """One line per demo: its name and what it compares."""
    width = max(len(name) for name in DEMOS)
    return "\n".join(f"{demo.name:<{width}}  {demo.summary}" for demo in DEMOS.values())


def run_demo(
    demo: Demo,
    out: str | Path = "results",
    replications: int | None = None,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    progress: bool | None = None,
) -> Path:
    """Run every scenario of the demo on common random numbers; write the comparison, the runs and the report."""
    import yaml

    from sim.experiments.compare import comparison_of_runs, write_comparison
    from sim.experiments.replications import executor_scope, run
    from sim.experiments.results import RUNS
    from sim.reports.html import NOTE, write_report  # matplotlib and Jinja2 only when a demo runs

    scenarios = demo.scenarios()
    base = next(iter(scenarios.values()))
    replications = replications or demo.replications
    started = time.perf_counter()
    with executor_scope(executor, workers, replications * len(scenarios)) as ex:
        runs = {label: run(s, replications, base.seed, progress, executor=ex) for label, s in scenarios.items()}
        where = ex.describe()
    comparison = comparison_of_runs(runs, base.seed, where, time.perf_counter() - started, demo=demo.name)
    folder = write_comparison(comparison, out)
    write_runs(runs, folder / RUNS)
    (folder / NOTE).write_text(yaml.safe_dump(demo.note(), sort_keys=False, allow_unicode=True), encoding="utf-8")
    write_report(folder)
    return folder


def write_runs(runs: dict[str, RunResult], root: Path) -> None:
    """Each scenario's run under ``root/<scenario name>/<label>`` (its tables, for the report's flow diagrams)."""
    from sim.experiments.outputs import write_run

    for label, result in runs.items():
        write_run(result, root, run_id=label)


def add_demo_parser(sub: argparse._SubParsersAction) -> None:
    """The ``demo NAME`` / ``demo --list`` subcommand."""
    parser = command_parser(
        sub,
        "demo",
        summary="run a bundled teaching comparison and write its report (--list: which)",
        description="Run one of the bundled teaching comparisons on common random numbers "
        "and write its report.html. Demos: " + ", ".join(DEMOS),
    )
    parser.add_argument("name", nargs="?", choices=list(DEMOS), metavar="NAME", help="the demo to run")
    parser.add_argument("--list", action="store_true", help="list the demos, one line each")
    parser.add_argument("--replications", "-r", type=int, help="replications per scenario (default: each demo's)")
    parser.add_argument(
        "--out",
        default="results",
        type=folder,
        help="results folder (default: results/; lands in compare/)",
    )
    parser.add_argument("--workers", "-w", type=int, help="parallel workers (default: all cores)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def cmd_demo(args: argparse.Namespace) -> int:
    """List the demos, or run one and print where its report is."""
    if args.list:
        print(describe_demos())
        return 0
    if args.name is None:
        print(f"error: name the demo to run, one of:\n{describe_demos()}", file=sys.stderr)
        return 2
    if args.replications is not None and args.replications < 2:
        print("error: --replications must be at least 2 (intervals need two)", file=sys.stderr)
        return 2
    demo = DEMOS[args.name]
    print(f"demo {demo.name}: {demo.summary}")
    folder = run_demo(demo, args.out, args.replications, workers=args.workers, progress=False if args.quiet else None)
    print(f"results: {folder}\nreport: {folder / 'report.html'}")
    return 0
