"""Every bundled scenario shows the effect its header and the README promise, as a paired comparison.

Each scenario in ``scenarios/`` states the comparison to run (a variant set with ``--variant``) and
what it shows. Here each stated effect is one test: the comparison runs through ``sim.compare`` on
common random numbers with the scenario's own seed (nothing chosen to pass), and the test asserts
the sign of the paired difference (variant minus base) of the KPI that shows the effect, and that
its 95 % interval excludes zero. Runs are shortened (fewer replications, a shorter horizon) where
the effect stays clear. Each effect's ``measured`` field records the difference and interval the
test gave when written: that is the size of effect it detects. A true difference of the same sign
and at least about twice that half-width passes with high probability; a smaller one, or one of the
wrong sign, fails (the interval reaches zero or sits on the wrong side).

The three comparisons run at a scenario's full horizon (9-10 CPU seconds each) are marked ``slow``,
which CI runs too; the comparison behind several effects is simulated once per session. The whole
file takes about 55 CPU seconds.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pandas as pd
import pytest
from conftest import SCENARIOS

import sim
from sim.experiments.executors import SerialExecutor


@dataclass(frozen=True)
class Variant:
    """A scenario file and the variant its header compares it with, shortened where the effect stays clear."""

    scenario: str
    name: str
    overrides: tuple[str, ...]
    shorten: tuple[str, ...] = ()
    replications: int | None = None  # None: the scenario's own


@dataclass(frozen=True)
class Effect:
    """One stated effect: the KPI that shows it, the sign of variant - base, and the difference measured here."""

    variant: Variant
    kpi: str
    sign: int
    stated: str  # as the README and the scenario header put it (base -> variant unless said otherwise)
    measured: str  # the paired difference and its 95 % interval at this test's settings, with the scenario's seed

    @property
    def id(self) -> str:
        return f"{self.variant.scenario}-{self.variant.name}-{self.kpi}-{'up' if self.sign > 0 else 'down'}"


TIER1_14 = Variant("baseline", "tier1_14", ("teams.tier1.shifts[0].agents=14",), ("horizon=3d",), 5)
TRAINING = Variant("tiered", "training", ("categories.connectivity.resolve_probability.tier1=0.8",), ("horizon=4d",))
RAISE = Variant("authority", "raise", ("teams.tier1.authority.refund_amount=1000",), ("horizon=3d",), 5)
NO_VIP = Variant("vip", "no_vip_rule", ("escalation.segment_rules=[]",), ("horizon=4d",), 5)
NO_FAST_TRACK = Variant("financial_services", "no_fast_track", ("escalation.triggers=[skill,authority,complexity]",))
FIFO = Variant(
    "healthcare",
    "fifo",
    (
        "categories.urgent_symptoms.priority={P3: 1}",
        "categories.symptoms.priority={P3: 1}",
        "categories.test_results.priority={P3: 1}",
    ),
)
SWARM = Variant("swarming", "swarm", ("escalation.mode=swarm",), ("horizon=3d",), 5)
NO_OUTAGE = Variant("outage_surge", "no_outage", ("channels.phone.surges=[]", "channels.chat.surges=[]"), (), 10)
NO_PRIORITY = Variant("outage_surge", "no_priority", ("categories.critical.priority={P3: 1}",), (), 10)
NO_AUTO = Variant("auto_escalation", "no_auto", ("escalation.time_rules=[]",))
WARM = Variant(
    "handoff",
    "warm",
    ("escalation.handoff.mode=warm", "escalation.handoff.context_complete=0.95"),
    ("horizon=3d",),
    5,
)
BETTER_NOTES = Variant("handoff", "better_notes", ("escalation.handoff.context_complete=0.95",), ("horizon=3d",), 5)
CC_SHORT = ("horizon=3d",)
NO_CROSS_TRAINING = Variant(
    "contact_centre", "no_cross_training", ("agent_groups.blended.serves=[{team: billing}]",), CC_SHORT, 5
)
NO_SHRINKAGE = Variant(
    "contact_centre",
    "no_shrinkage",
    tuple(
        f"agent_groups.{group}.shrinkage=null"
        for group in ("billing_specialists", "technical_specialists", "blended", "backoffice")
    ),
    CC_SHORT,
    5,
)
NO_ACW = Variant(
    "contact_centre",
    "no_after_call_work",
    ("channels.phone.after_call_work=null", "channels.chat.after_call_work=null"),
    CC_SHORT,
    5,
)
NO_CALLBACKS = Variant("contact_centre", "no_callbacks", ("channels.phone.callback=null",), CC_SHORT, 5)

EFFECTS = [
    # baseline: the README's staffing comparison (no figures stated): a 14th agent on tier 1's morning shift
    Effect(TIER1_14, "asa.phone", -1, "phones answered sooner", "-4.5 s [-5.0, -4.0]"),
    Effect(TIER1_14, "service_level.phone", +1, "phone service level up", "+6.0 points [+4.4, +7.5]"),
    # tiered: a better-trained frontline
    Effect(TRAINING, "fcr", +1, "first-contact resolution 74 % -> 76 %", "+2.6 points [+1.9, +3.3]"),
    Effect(TRAINING, "escalation_rate", -1, "tickets escalated 23 % -> 18 %", "-4.8 points [-5.2, -4.5]"),
    Effect(TRAINING, "utilisation.tier2", -1, "tier2 utilisation ~65 % -> ~48 %", "-18 points [-20, -16]"),
    # authority: the frontline refund limit raised to $1,000 (escalation_reason.authority: tests/test_demo.py)
    Effect(RAISE, "escalation_rate", -1, "tickets escalated 3.7 % -> 1.1 %", "-2.6 points [-2.9, -2.3]"),
    Effect(RAISE, "utilisation.team_leads", -1, "team-lead utilisation ~28 % -> ~9 %", "-21 points [-24, -18]"),
    # vip: without the segment rule (base: the file, with the rule)
    Effect(NO_VIP, "asa_segment.vip", +1, "gold answer time 16 s -> 40 s", "+21 s [+17, +25]"),
    Effect(NO_VIP, "abandonment_rate_segment.vip", +1, "gold abandonment 5.4 % -> 12.3 %", "+5.5 points [+3.7, +7.3]"),
    # financial services: without the regulatory fast track
    Effect(
        NO_FAST_TRACK, "resolution_attainment.P1", -1, "P1 (breach) clocks met 96 % -> 72 %", "-23 points [-26, -21]"
    ),
    # healthcare: no clinical priority; the urgent callers' figures (abandonment 11 % -> 19 %, first response
    # missed 8 % -> 17 %) come from the tickets table: no KPI splits the clinical line by category, and
    # first_response_attainment.P1 is empty in the variant, where urgent calls are P3
    Effect(
        FIFO,
        "abandonment_rate.clinical_line",
        +1,
        "clinical-line abandonment 13.4 % -> 17.2 %",
        "+3.8 points [+3.4, +4.2]",
    ),
    Effect(FIFO, "asa.clinical_line", +1, "clinical-line answer time 47 -> 55 s", "+8.4 s [+5.1, +11.7]"),
    Effect(
        FIFO, "asa.portal", -1, "test-result messages answered in ~5 instead of ~30 minutes", "-9.9 min [-11.5, -8.3]"
    ),
    # swarming: the same desk swarming
    Effect(SWARM, "handoffs_mean", -1, "handoffs per ticket 0.28 -> 0.11", "-0.19 [-0.21, -0.17]"),
    Effect(SWARM, "rework_per_ticket", -1, "rework 33 s -> 10 s per ticket", "-25 s [-30, -20]"),
    Effect(SWARM, "resolution_time_p90", -1, "90th-percentile resolution 74 -> 54 min", "-19 min [-23, -16]"),
    Effect(SWARM, "utilisation.tier1", +1, "tier1 utilisation +8 points", "+8.3 points [+6.9, +9.7]"),
    Effect(SWARM, "abandonment_rate", +1, "abandonment 14 % -> 18 %", "+4.6 points [+4.1, +5.0]"),
    # outage surge: 1) the same day without the outage (base: the file, with it), 2) no priority for the urgent line
    Effect(NO_OUTAGE, "service_level.phone", +1, "phone service level 36 % (outage) vs 84 %", "+49 points [+44, +55]"),
    Effect(NO_OUTAGE, "abandonment_rate.phone", -1, "phone abandonment 29 % (outage) vs 6 %", "-23 points [-25, -20]"),
    Effect(NO_PRIORITY, "asa.urgent_phone", +1, "urgent answer time 18 -> 48 s", "+28 s [+21, +36]"),
    Effect(NO_PRIORITY, "service_level.urgent_phone", -1, "urgent service level 71 % -> 56 %", "-16 points [-19, -13]"),
    # auto escalation: without the time rules
    Effect(NO_AUTO, "resolution_attainment", -1, "resolution SLA met 97 % -> 77 %", "-20 points [-23, -17]"),
    Effect(NO_AUTO, "resolution_time_p90", +1, "90th-percentile resolution 21 h -> 34 h", "+13 h [+10, +16]"),
    # handoff: 1) warm handoffs with complete context, 2) better notes on cold transfers
    Effect(WARM, "rework_per_ticket", -1, "rework 32 s -> 3.4 s per ticket", "-30 s [-32, -27]"),
    Effect(WARM, "utilisation.tier1", +1, "tier1 utilisation 51 % -> 55 %", "+3.2 points [+2.8, +3.7]"),
    Effect(WARM, "service_level.phone", -1, "phone service level 86 % -> 83 %", "-2.9 points [-5.1, -0.8]"),
    Effect(BETTER_NOTES, "rework_per_ticket", -1, "rework 32 s -> 3.4 s per ticket", "-30 s [-32, -28]"),
    Effect(BETTER_NOTES, "cost_per_resolved", -1, "cost per resolved ticket -$0.10", "-$0.08 [-0.12, -0.04]"),
    # contact centre: each people mechanism switched off
    Effect(NO_CROSS_TRAINING, "service_level.phone", -1, "phone service level -10 points", "-11 points [-15, -6.9]"),
    Effect(
        NO_CROSS_TRAINING, "intervals_met.phone", -1, "intervals meeting the goal -23 points", "-24 points [-33, -15]"
    ),
    Effect(NO_SHRINKAGE, "service_level.phone", +1, "phone service level +11 points", "+11 points [+7.1, +15]"),
    Effect(NO_ACW, "service_level.phone", +1, "phone service level +8.0 points", "+8.9 points [+7.1, +11]"),
    Effect(NO_CALLBACKS, "abandonment_rate.phone", +1, "phone abandonment +3.1 points", "+3.8 points [+3.1, +4.4]"),
]
"""Every headline effect of the bundled scenarios (README 'Bundled scenarios' and each file's header)."""

SLOW = {NO_FAST_TRACK, FIFO, NO_AUTO}
"""Comparisons at the scenario's full horizon and replications, 9-10 CPU seconds each (rare P1 breaches; an
answer-time difference of a few seconds; a backlog of days): slow, so ``-m "not slow"`` skips them; CI runs them."""


@functools.cache
def comparison(variant: Variant) -> pd.DataFrame:
    """The paired comparison table of a scenario file against one variant (simulated once per session)."""
    path = SCENARIOS / f"{variant.scenario}.yaml"
    base = sim.load_scenario(path, list(variant.shorten))
    other = sim.load_scenario(path, [*variant.shorten, *variant.overrides])
    scenarios = {"base": base, variant.name: other}
    return sim.compare(scenarios, replications=variant.replications, executor=SerialExecutor(), progress=False).table


def paired_difference(effect: Effect) -> tuple[float, float, float, float]:
    """Base mean, and the paired difference (variant - base) with its 95 % interval."""
    table = comparison(effect.variant)
    rows = table[table["kpi"] == effect.kpi].set_index("scenario")
    assert len(rows) == 2, f"{effect.kpi} is not a KPI of {effect.variant.scenario}"
    row = rows.loc[effect.variant.name]
    return float(rows.loc["base", "mean"]), float(row["diff"]), float(row["diff_ci_low"]), float(row["diff_ci_high"])


@pytest.mark.parametrize(
    "effect", [pytest.param(e, marks=[pytest.mark.slow] if e.variant in SLOW else [], id=e.id) for e in EFFECTS]
)
def test_bundled_scenario_shows_its_headline_effect_with_an_interval_that_excludes_zero(effect: Effect):
    base, diff, low, high = paired_difference(effect)
    account = (
        f"{effect.kpi}: base {base:.4g}, difference {diff:+.4g} [{low:+.4g}, {high:+.4g}]; "
        f"stated: {effect.stated}; measured when written: {effect.measured}"
    )
    assert effect.sign * diff > 0, account
    assert (low > 0 and high > 0) or (low < 0 and high < 0), account


def test_every_bundled_scenario_has_its_headline_effect_tested():
    # scenarios/validation/ holds the queueing-theory scenarios (tests/test_against_theory.py checks them)
    assert {p.stem for p in SCENARIOS.glob("*.yaml")} == {e.variant.scenario for e in EFFECTS}
