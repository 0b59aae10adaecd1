"""Round trip: simulate a known scenario, export it in each layout, calibrate, recover the truth.

Each recovered number is compared with the scenario's own in units of the estimate's standard error:
4 SE, because about forty numbers are checked per layout, so that chance alone fails the test with
probability well under 1 % (seed fixed for reproducibility, not chosen to pass). Each check also
shows it can fail: the same estimate is more than 4 SE away from a truth perturbed by the bias the
check is meant to catch: 10 % on a rate or a handle-time mean, 0.1 on a probability, 25 % on the
patience mean (it rests on about 1,500 abandonments, a standard error near 3 %). A bias is caught for
sure when it exceeds twice the tolerance (8 SE), which these do.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import ROOT

from sim.calibration.calibrate import Calibration, calibrate
from sim.calibration.export import export_run, simulate_weeks
from sim.calibration.read import read_export
from sim.calibration.write_scenario import calibrated_scenario
from sim.scenario.loader import load_scenario, validate
from sim.scenario.spec import WEEKDAYS
from sim.scenario.yaml_source import parse_yaml

HOURS = [0.2] * 7 + [1.0, 2.0, 2.4, 2.4, 2.0, 1.6, 2.0, 2.2, 2.0, 1.6, 1.2, 0.8, 0.5] + [0.3] * 4
HOURS = [h * 24 / sum(HOURS) for h in HOURS]  # average 1, as the fit writes them
DAYS = {"mon": 1.3, "tue": 1.1, "wed": 1.0, "thu": 1.0, "fri": 1.1, "sat": 0.8, "sun": 0.7}
DAYS = {d: v * 7 / sum(DAYS.values()) for d, v in DAYS.items()}
TRUTH = f"""
name: roundtrip
seed: 11
start_date: 2026-03-02
priorities: [P1, P2]
segments: [retail, business]
channels:
  - name: phone
    rate_per_hour: 14
    hour_of_day: {HOURS}
    day_of_week: {DAYS}
    category_mix: {{tech: 0.6, billing: 0.4}}
    patience: {{dist: exponential, mean: 4m}}
  - name: email
    rate_per_hour: 5
    category_mix: {{tech: 0.3, billing: 0.7}}
categories:
  - name: tech
    priority: {{P1: 0.3, P2: 0.7}}
    segment: {{retail: 0.8, business: 0.2}}
    handle_time:
      front: {{dist: lognormal, mean: 8m, sd: 4m}}
      expert: {{dist: gamma, mean: 20m, sd: 10m}}
    path: [front, expert]
    resolve_probability: {{front: 0.6}}
    customer_reply:
      {{probability: 0.25, delay: {{dist: exponential, mean: 1h}}, handle_time: {{dist: fixed, value: 0}}}}
    reopen: {{probability: 0.1, delay: {{dist: exponential, mean: 1d}}}}
  - name: billing
    priority: {{P2: 1}}
    handle_time: {{dist: lognormal, mean: 6m, sd: 3m}}
teams:
  - {{name: front, agents: 5}}
  - {{name: expert, tier: 2, agents: 4}}
routing:
  - {{team: front}}
"""
WEEKS = 6
SE = 4.0


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("truth") / "roundtrip.yaml"
    path.write_text(TRUTH, encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=["generic", "zendesk"])
def fitted(request: pytest.FixtureRequest, truth: Path, tmp_path_factory: pytest.TempPathFactory) -> Calibration:
    """The truth simulated for six weeks, exported in one layout, read back and calibrated."""
    scenario = load_scenario(truth)
    folder = tmp_path_factory.mktemp(request.param)
    tickets, events = export_run(simulate_weeks(scenario, WEEKS), scenario, folder, request.param)
    return calibrate(read_export(tickets, events, request.param))


def within(estimate: float, se: float, truth: float, what: str) -> None:
    """The estimate is within ``SE`` standard errors of the truth, and not of a truth off by the bias we catch."""
    assert abs(estimate - truth) <= SE * se, f"{what}: {estimate:.4g} vs true {truth:.4g} (se {se:.2g})"


def detects(estimate: float, se: float, wrong: float, what: str) -> None:
    assert abs(estimate - wrong) > SE * se, f"{what}: cannot tell {estimate:.4g} from a wrong {wrong:.4g}"


def test_rates_and_profiles_are_recovered(fitted: Calibration) -> None:
    phone, email = fitted.arrivals["phone"], fitted.arrivals["email"]
    within(phone.rate_per_hour, phone.rate_se, 14.0, "phone rate")
    detects(phone.rate_per_hour, phone.rate_se, 14.0 * 1.1, "phone rate +10 %")
    within(email.rate_per_hour, email.rate_se, 5.0, "email rate")
    for h, true in enumerate(HOURS):
        within(phone.hour_of_day[h], phone.hour_of_day_se[h], true, f"phone hour {h}")
    for day in WEEKDAYS:
        within(phone.day_of_week[day], phone.day_of_week_se[day], DAYS[day], f"phone {day}")
    assert not phone.surges and not email.surges


def test_mixes_are_recovered(fitted: Calibration) -> None:
    mixes = fitted.mixes
    for channel, truth in (("phone", {"tech": 0.6, "billing": 0.4}), ("email", {"tech": 0.3, "billing": 0.7})):
        mix = mixes.category_by_channel[channel]
        for name, p in truth.items():
            within(mix.weights[name], mix.se[name], p, f"{channel} {name} share")
    priority, segment = mixes.priority_by_category["tech"], mixes.segment_by_category["tech"]
    within(priority.weights["P1"], priority.se["P1"], 0.3, "tech P1 share")
    detects(priority.weights["P1"], priority.se["P1"], 0.4, "tech P1 share +0.1")
    within(segment.weights["business"], segment.se["business"], 0.2, "tech business share")
    assert mixes.priority_by_category["billing"].weights == {"P2": 1.0}


def test_handle_time_means_are_recovered(fitted: Calibration) -> None:
    fits = fitted.handle.fits
    for key, mean in ((("tech", "front"), 8.0), (("tech", "expert"), 20.0), (("billing", "front"), 6.0)):
        within(fits[key].mean, fits[key].mean_se, mean, f"handle {key}")
        detects(fits[key].mean, fits[key].mean_se, mean * 1.1, f"handle {key} +10 %")
    assert fits[("tech", "front")].family == "lognormal"


def test_resolve_probabilities_count_attempts_and_are_recovered(fitted: Calibration) -> None:
    path = fitted.paths.categories["tech"]
    assert path.path == ["front", "expert"]
    within(path.resolve_probability["front"], path.resolve_se["front"], 0.6, "front resolves tech")
    detects(path.resolve_probability["front"], path.resolve_se["front"], 0.5, "front resolves tech -0.1")
    assert path.resolve_probability["expert"] == 1.0
    # the share of stays resolved, the naive reading, is p(1 - r + r p) < p: two draws when the customer replies
    stays = path.pooled["front"]
    assert stays.resolved / stays.stays < 0.6 - SE * path.resolve_se["front"]


def test_patience_is_recovered_despite_censoring_and_the_naive_mean_is_biased(fitted: Calibration) -> None:
    patience = fitted.patience["phone"]
    assert patience.abandoned >= 100
    within(patience.mean, patience.mean_se, 4.0, "phone patience")
    detects(patience.mean, patience.mean_se, 5.0, "phone patience +25 %")
    # the abandoners' mean wait only sees the impatient: far below the truth
    assert patience.naive_mean < 4.0 - SE * patience.mean_se
    assert patience.naive_mean < 0.75 * 4.0
    assert "email" not in fitted.patience


def test_reopen_rate_and_reply_probability_are_recovered(fitted: Calibration) -> None:
    reopen = fitted.reopens.categories["tech"]
    within(reopen.probability, reopen.probability_se, 0.1, "tech reopen rate")
    detects(reopen.probability, reopen.probability_se, 0.2, "tech reopen rate +0.1")
    assert reopen.delay is not None
    within(reopen.delay.mean, reopen.delay.mean_se, 1440.0, "reopen delay")
    for team in ("front", "expert"):  # per resolving team, weighted for the solves of the last days
        p, se = reopen.team_probability(team)
        within(p, se, 0.1, f"tech reopen rate after {team}")
    assert reopen.return_to == "resolver"
    assert fitted.reopens.categories["billing"].reopens == 0
    reply = fitted.replies.categories["tech"]
    within(reply.probability, reply.probability_se, 0.25, "tech reply probability")
    detects(reply.probability, reply.probability_se, 0.15, "tech reply probability -0.1")
    assert reply.delay is not None
    within(reply.delay.mean, reply.delay.mean_se, 60.0, "reply delay")


def test_the_calibrated_scenario_loads_and_says_where_each_number_came_from(fitted: Calibration) -> None:
    text = calibrated_scenario(fitted, None, "roundtrip_calibrated")
    data, lines = parse_yaml(text, "calibrated.yaml")
    scenario = validate(data, "calibrated.yaml", lines)
    assert {t.name for t in scenario.teams} == {"front", "expert"}
    assert scenario.channels[1].name == "phone" and scenario.channels[1].patience is not None
    commented = [line for line in text.splitlines() if line.strip().startswith(("rate_per_hour", "front:", "expert:"))]
    assert commented and all("n=" in line and "#" in line for line in commented)
    assert "ESTIMATED" in text  # no base: the rosters are estimates, and the file says so


def test_a_base_scenario_gives_rosters_and_loses_what_the_fits_replace(fitted: Calibration, truth: Path) -> None:
    base = load_scenario(truth)
    base = base.model_copy(update={"teams": [t.model_copy(update={"handle_time_multiplier": 2.0}) for t in base.teams]})
    text = calibrated_scenario(fitted, base, "with_base", "roundtrip.yaml")
    doc = yaml.safe_load(text)
    assert [t.get("agents") for t in doc["teams"]] == [5, 4]
    assert all("handle_time_multiplier" not in t for t in doc["teams"])
    assert "team front: handle_time_multiplier" in text
    assert "ESTIMATED" not in text


def test_calibrating_twice_writes_the_same_file(fitted: Calibration) -> None:
    assert calibrated_scenario(fitted) == calibrated_scenario(fitted)


def test_estimated_rosters_cover_the_work_the_export_shows(fitted: Calibration) -> None:
    doc = yaml.safe_load(calibrated_scenario(fitted))
    front = next(t for t in doc["teams"] if t["name"] == "front")
    on_duty = np.zeros(168)
    for shift in front["shifts"]:
        start, end = int(shift["start"][:2]), int(shift["end"][:2]) or 24
        for day in shift["days"]:
            first = WEEKDAYS.index(day) * 24 + start
            on_duty[np.arange(first, first + (end - start) % 24 or 24) % 168] += shift["agents"]
    # the busiest weekday hour (Monday 10:00) needs about 14/h x 1.3 x 2.4 x 7.5 min of work (~5 agents at 85 %)
    assert on_duty[10] >= math.floor(14 * 1.3 * 2.4 * 7.0 / 60 / 0.85)
    assert on_duty[3] <= on_duty[10] / 2


def test_day_to_day_variation_beyond_poisson_becomes_volume_uncertainty(tmp_path: Path, fitted: Calibration) -> None:
    """A forecast error of cv 0.25 a day is recovered as such (within the spread of 56 days); Poisson days get none."""
    assert "volume_uncertainty" not in calibrated_scenario(fitted)
    doc = yaml.safe_load(TRUTH)
    doc["channels"] = [{**doc["channels"][1], "rate_per_hour": 20, "volume_uncertainty": {"cv": 0.25}}]
    doc["teams"] = [{"name": "front", "agents": 6}, {"name": "expert", "tier": 2, "agents": 3}]
    path = tmp_path / "dispersed.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    scenario = load_scenario(path)
    tickets, events = export_run(simulate_weeks(scenario, 8), scenario, tmp_path, "generic")
    written = yaml.safe_load(calibrated_scenario(calibrate(read_export(tickets, events))))
    cv = written["channels"][0]["volume_uncertainty"]["cv"]
    assert 0.15 < cv < 0.35, cv


@pytest.mark.slow
def test_the_calibrated_example_passes_its_back_test_and_an_estimated_roster_does_not(tmp_path: Path) -> None:
    """Export → calibrate (rosters from the true scenario) → back-test on the same export: PASS.

    The same calibration without a base (estimated rosters, no chat concurrency) misses the history's
    waits by about a factor of two, and the back-test must say FAIL: the check has power against a
    model whose queues are wrong, not only against one whose volumes are.
    """
    from sim.cli import main

    example, base = ROOT / "data" / "example_generic", ROOT / "scenarios" / "tiered.yaml"
    export = [str(example / "tickets.csv.gz"), "--events", str(example / "events.csv.gz")]
    verdicts = {}
    for name, extra in (("with_base", ["--base", str(base)]), ("estimated", [])):
        out = tmp_path / f"{name}.yaml"
        assert main(["calibrate", *export, *extra, "-o", str(out), "--no-report"]) == 0
        argv = ["backtest", str(out), *export, "--warmup", "0", "-r", "10", "--seed", "7", "-w", "2", "--quiet"]
        assert main([*argv, "--out", str(tmp_path / "out")]) == 0
        summary = sorted((tmp_path / "out" / "backtest").glob(f"*{name}*/summary.yaml"))[-1]
        verdicts[name] = yaml.safe_load(summary.read_text(encoding="utf-8"))["verdict"]
    assert verdicts == {"with_base": "PASS", "estimated": "FAIL"}
