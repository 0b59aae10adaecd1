"""A small desk that exercises every report picture, and its two-replication run (computed once per session).

Two channels with service goals (a surge on phone), a frontline on a day and a night shift with a
$500 refund limit (hierarchical escalations to the leads), faults that fail at the frontline half
the time (functional escalations to tier 2), two priorities with SLA clocks, team costs.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from sim.experiments.replications import RunResult, run
from sim.scenario.loader import validate
from sim.scenario.spec import Scenario

EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

DOC: dict[str, Any] = {
    "name": "small_desk",
    "description": "A small desk: phone and chat, a two-shift frontline, team leads and tier 2.",
    "seed": 5,
    "horizon": "2d",
    "warmup": "2h",
    "replications": 2,
    "priorities": ["P1", "P2"],
    "channels": [
        {
            "name": "phone",
            "rate_per_hour": 30,
            "category_mix": {"question": 0.6, "refund": 0.3, "fault": 0.1},
            "patience": {"dist": "exponential", "mean": "5m"},
            "service_level": {"target": "30s", "goal": 0.8},
            "surges": [{"start": "1d", "duration": "3h", "multiplier": 2}],
        },
        {
            "name": "chat",
            "rate_per_hour": 15,
            "category_mix": {"question": 0.6, "refund": 0.3, "fault": 0.1},
            "patience": {"dist": "exponential", "mean": "8m"},
            "concurrency": 2,
            "service_level": {"target": "1m", "goal": 0.8},
        },
    ],
    "categories": [
        {"name": "question", "priority": {"P1": 0.2, "P2": 0.8}, "handle_time": {"dist": "exponential", "mean": "4m"}},
        {
            "name": "refund",
            "handle_time": {"dist": "exponential", "mean": "6m"},
            "attributes": {"refund_amount": {"dist": "lognormal", "mean": 300, "sd": 300}},
        },
        {
            "name": "fault",
            "handle_time": {"dist": "exponential", "mean": "8m"},
            "path": ["tier1", "tier2"],
            "resolve_probability": {"tier1": 0.5},
        },
    ],
    "teams": [
        {
            "name": "tier1",
            "cost_per_hour": 30,
            "authority": {"refund_amount": 500},
            "supervisor": "leads",
            "shifts": [
                {"days": EVERY_DAY, "start": "06:00", "end": "18:00", "agents": 6},
                {"days": EVERY_DAY, "start": "18:00", "end": "06:00", "agents": 3},
            ],
        },
        {"name": "leads", "tier": 2, "agents": 2, "cost_per_hour": 50},
        {"name": "tier2", "tier": 2, "agents": 2, "cost_per_hour": 45},
    ],
    "routing": [{"team": "tier1"}],
    "sla_policies": [{"name": "all", "first_response": {"target": "30m"}, "resolution": {"target": "4h"}}],
}


def document(**changes: Any) -> dict[str, Any]:
    """A copy of the small desk's document with top-level fields replaced."""
    doc = copy.deepcopy(DOC)
    doc.update(copy.deepcopy(changes))
    return doc


def scenario(**changes: Any) -> Scenario:
    """The validated small desk."""
    return validate(document(**changes), "<small desk>")


def write_scenario(folder: Path, **changes: Any) -> Path:
    """The small desk as a YAML file in ``folder``."""
    path = Path(folder) / "small_desk.yaml"
    path.write_text(yaml.safe_dump(document(**changes), sort_keys=False), encoding="utf-8")
    return path


@cache
def small_run() -> RunResult:
    """Two replications of the small desk, shared by the plot tests (do not modify)."""
    return run(scenario(), progress=False, workers=1)
