"""The animated replay of one simulated day: its data cut from the records, and the page in a real browser.

The data stories run a tiny deterministic desk over three days (time 0 is Monday 2026-01-05 00:00,
day 0 is the warm-up). Tier 1 (one agent) works two 25-minute email tickets across midnight into
day 1, then three tech tickets at 1500, 1501 and 1502 that tier 1 never solves (a failed attempt
takes 4 min) and escalates to tier 2 (one agent, 10 min each), all on a 30-minute resolution SLA:

- tier 1: ticket 0 worked 1430-1455, ticket 1 queued at 1435 and worked 1455-1480 (breaches at
  1465); ticket 2 worked 1500-1504, ticket 3 queued 1501-1504 and worked to 1508, ticket 4 queued
  1502-1508 and worked to 1512; each escalates when its attempt fails;
- tier 2: ticket 2 worked 1504-1514, ticket 3 queued 1508-1514 and worked to 1524, ticket 4 queued
  1512-1524 and worked to 1534 (breaches at 1532).

The browser test opens the page of a bundled scenario in Debian's headless Chromium through
Playwright (never a downloaded browser) and plays, pauses and seeks it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM_ARGS, SCENARIOS, build, fixed

from sim.experiments.replications import RunResult, run
from sim.reports.replay import replay_data, replay_html, step_series, write_replay
from sim.scenario.loader import load_scenario

DAY = 1440.0
ARTIFACTS = Path(__file__).resolve().parent.parent / "results" / "test-artifacts"


def story(**fields: Any) -> RunResult:
    """One replication of the tiered story desk (see the module's docstring); ``fields`` replace its parts."""
    doc: dict[str, Any] = {
        "horizon": 3 * DAY,
        "warmup": DAY,
        "channels": [
            {"name": "phone", "arrival_times": [1500, 1501, 1502], "category_mix": {"tech": 1}},
            {"name": "email", "arrival_times": [1430, 1435], "category_mix": {"long": 1}},
        ],
        "categories": [
            {
                "name": "tech",
                "handle_time": fixed(10),
                "path": ["tier1", "tier2"],
                "resolve_probability": {"tier1": 0},
                "failed_attempt_time": fixed(4),
            },
            {"name": "long", "handle_time": fixed(25)},
        ],
        "teams": [{"name": "tier1", "agents": 1}, {"name": "tier2", "tier": 2, "agents": 1}],
        "routing": [{"team": "tier1"}],
        "sla_policies": [{"name": "all", "resolution": {"target": "30m"}}],
        **fields,
    }
    return run(build(**doc), 1, progress=False)


@pytest.fixture(scope="module")
def desk() -> RunResult:
    return story()


def team(data: dict, name: str) -> dict:
    return next(t for t in data["teams"] if t["name"] == name)


# -- the data ------------------------------------------------------------------------------------------------
def test_the_queue_series_starts_with_the_backlog_in_force_at_midnight_and_follows_the_arrivals(desk):
    data = replay_data(desk, day=1)
    assert (data["start"], data["end"]) == (DAY, 2 * DAY)
    # ticket 1 has waited since 1435 (day 0): the day opens with one in tier 1's queue
    assert team(data, "tier1")["queue"] == [[1440, 1], [1455, 0], [1501, 1], [1502, 2], [1504, 1], [1508, 0]]
    assert team(data, "tier2")["queue"] == [[1440, 0], [1508, 1], [1512, 2], [1514, 1], [1524, 0]]
    # an agent who picks the next ticket at the instant she finishes one stays busy: no blip to 0
    assert team(data, "tier1")["busy"] == [[1440, 1], [1480, 0], [1500, 1], [1512, 0]]
    assert team(data, "tier2")["busy"] == [[1440, 0], [1504, 1], [1534, 0]]
    assert team(data, "tier1")["staffed"] == [[1440, 1]]


def test_each_escalation_of_the_day_is_a_move_from_team_to_team_with_its_kind(desk):
    data = replay_data(desk, day=1)
    assert data["moves"] == [
        [1504, "tier1", "tier2", "functional"],
        [1508, "tier1", "tier2", "functional"],
        [1512, "tier1", "tier2", "functional"],
    ]
    assert list(data["kinds"]) == ["functional"]
    assert data["kinds"]["functional"]["stays"] is False


def test_arrivals_resolutions_and_breaches_of_the_day_are_counted_at_their_team(desk):
    data = replay_data(desk, day=1)
    tier1, tier2 = team(data, "tier1"), team(data, "tier2")
    assert tier1["arrivals"] == [1500, 1501, 1502]  # the email tickets arrived on day 0
    assert tier2["arrivals"] == []
    assert (tier1["resolved"], tier2["resolved"]) == ([1455, 1480], [1514, 1524, 1534])
    assert (tier1["abandoned"], tier2["abandoned"]) == ([], [])
    assert (tier1["breaches"], tier2["breaches"]) == ([[1465, "resolution"]], [[1532, "resolution"]])


def test_a_day_holds_only_what_happened_in_it(desk):
    data = replay_data(desk, day=0)
    tier1 = team(data, "tier1")
    assert tier1["queue"] == [[0, 0], [1435, 1]]  # the change at 1455 belongs to day 1
    assert (tier1["arrivals"], tier1["resolved"], tier1["breaches"], data["moves"]) == ([1430, 1435], [], [], [])
    quiet = replay_data(desk, day=2)
    assert team(quiet, "tier1")["queue"] == [[2880, 0]]
    assert team(quiet, "tier2")["busy"] == [[2880, 0]]


def test_the_day_is_named_by_its_weekday_and_date(desk):
    data = replay_data(desk, day=1)
    assert (data["start_date"], data["weekday"], data["date"], data["day_name"]) == (
        "2026-01-05",
        0,
        "2026-01-06",
        "Tue",
    )
    assert (data["days"], data["scenario"], data["replication"]) == (3, "story", 0)
    assert [(t["name"], t["tier"], t["column"], t["row"], t["rows"]) for t in data["teams"]] == [
        ("tier1", 1, 0, 0, 1),
        ("tier2", 2, 1, 0, 1),
    ]


def test_without_a_day_the_replay_shows_the_first_full_day_after_the_warm_up(desk):
    assert replay_data(desk)["day"] == 1
    assert replay_data(story(warmup=DAY + 60))["day"] == 2


def test_a_run_too_short_for_a_full_day_after_the_warm_up_replays_the_day_the_warm_up_ends_in():
    short = story(horizon=DAY + 600, warmup=DAY + 60)
    data = replay_data(short)
    assert (data["day"], data["start"], data["end"], data["days"]) == (1, DAY, DAY + 600, 2)


@pytest.mark.parametrize("day", [3, -1, 40])
def test_a_day_outside_the_run_is_an_error_that_says_which_days_exist(desk, day):
    with pytest.raises(
        ValueError, match=rf"^day {day} is outside the run: it simulates 3 days, so the days are 0 to 2$"
    ):
        replay_data(desk, day=day)


def test_a_replication_outside_the_run_is_an_error_that_says_which_exist(desk):
    with pytest.raises(ValueError, match=r"^replication 2 is not in this run: it has replications 0$"):
        replay_data(desk, replication=2)


def test_a_step_series_keeps_the_last_value_of_an_instant_and_drops_repeats():
    import pandas as pd

    times = pd.Series([0.0, 5.0, 10.0, 10.0, 12.001, 12.004, 15.0, 20.0])
    values = pd.Series([1.0, 2.0, 3.0, 2.0, 4.0, 5.0, 5.0, 6.0])
    assert step_series(times, values, 5.0, 20.0) == [[5, 2], [12, 5]]
    assert step_series(times, values, 4.0, 30.0) == [[4, 1], [5, 2], [12, 5], [20, 6]]
    assert step_series(times.iloc[:0], values.iloc[:0], 4.0, 30.0) == [[4, 0]]


def test_a_day_of_the_tiered_desk_is_small_and_holds_its_transfers():
    result = run(load_scenario(SCENARIOS / "tiered.yaml"), 1, progress=False)
    data = replay_data(result)
    size = len(json.dumps(data, separators=(",", ":")))
    assert size < 300_000, size
    assert data["day"] == 1
    assert {kind for *_, kind in data["moves"]} <= {"functional", "hierarchical"}
    assert len(data["moves"]) > 100
    names = {t["name"] for t in data["teams"]}
    assert all({source, target} <= names for _, source, target, _ in data["moves"])


# -- the page ------------------------------------------------------------------------------------------------
def test_the_page_carries_its_data_and_asks_for_nothing_from_outside(desk):
    data = replay_data(desk, day=1)
    page = replay_html(data, 'Day one </script><script>alert("x")</script>')
    assert not re.search(r"https?://|<link|\bsrc=|url\(|@import", page)
    payload = re.search(r'<script type="application/json" id="replay-data">(.*?)</script>', page, re.S)
    assert payload is not None and json.loads(payload.group(1)) == data
    assert "<script>alert" not in page  # the title is escaped
    for hook in ('id="replay-play"', 'id="replay-slider"', 'id="replay-speed"', "replayMinute", "replayReady"):
        assert hook in page


def test_write_replay_writes_the_page_of_the_chosen_day(desk, tmp_path):
    path = write_replay(desk, tmp_path / "replay.html", day=2)
    assert path == tmp_path / "replay.html"
    page = path.read_text(encoding="utf-8")
    assert "story: replay of Wed 7 Jan 2026" in page
    assert '"day":2' in page
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


# -- in a real browser ---------------------------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def playwright_or_skip():
    """Playwright's sync API, or skip (locally) / fail (in CI) without it or without Debian's chromium."""
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "the python package playwright is not installed (pip install playwright; no browser download)"
    if CHROMIUM is None:
        problem = "Debian's chromium is not installed (apt-get install chromium)"
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    return sync_playwright


def queued(data: dict, time: float) -> float:
    """Tickets waiting at all teams at ``time``."""
    return sum(next(v for t, v in reversed(team["queue"]) if t <= time) for team in data["teams"])


def minute(page) -> float:
    return float(page.evaluate("document.documentElement.dataset.replayMinute"))


@pytest.mark.parametrize("name", ["tiered", "handoff"])
def test_the_replay_plays_pauses_and_seeks_in_headless_chromium_without_errors_or_requests(name, tmp_path):
    sync_playwright = playwright_or_skip()
    result = run(load_scenario(SCENARIOS / f"{name}.yaml"), 1, progress=False)
    path = write_replay(result, tmp_path / "replay.html")
    data = replay_data(result)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 900})
            errors: list[str] = []
            requests: list[str] = []
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(path.resolve().as_uri())
            page.wait_for_function("document.documentElement.dataset.replayReady === 'true'", timeout=10_000)
            assert minute(page) == data["start"]
            assert page.evaluate("document.documentElement.dataset.replayPlaying") == "false"

            page.click("#replay-play")
            assert page.evaluate("document.documentElement.dataset.replayPlaying") == "true"
            page.wait_for_function(f"Number(document.documentElement.dataset.replayMinute) > {data['start'] + 3}")
            page.click("#replay-play")
            assert page.evaluate("document.documentElement.dataset.replayPlaying") == "false"
            stopped = minute(page)
            page.wait_for_timeout(400)
            assert minute(page) == stopped > data["start"]

            # seek to mid-morning, then play a moment at an hour a second so tickets are on the move
            target = data["start"] + 10.5 * 60
            page.eval_on_selector(
                "#replay-slider", f"s => {{ s.value = '{target}'; s.dispatchEvent(new Event('input')); }}"
            )
            assert minute(page) == target
            page.select_option("#replay-speed", "60")
            page.click("#replay-play")
            page.wait_for_function(f"Number(document.documentElement.dataset.replayMinute) > {target + 20}")
            page.click("#replay-play")
            # the picture: the day's longest queue, paused, with the last hour's moves still travelling
            peak = max((t for team in data["teams"] for t, _ in team["queue"]), key=lambda t: queued(data, t))
            page.eval_on_selector(
                "#replay-slider", f"s => {{ s.value = '{peak}'; s.dispatchEvent(new Event('input')); }}"
            )
            assert minute(page) == round(peak)
            page.screenshot(path=str(ARTIFACTS / f"replay-{name}.png"))
            if name == "tiered":
                shutil.copyfile(ARTIFACTS / f"replay-{name}.png", ARTIFACTS / "replay.png")
            assert page.evaluate("document.documentElement.dataset.errors") == "0"
            assert errors == []
            assert requests == [path.resolve().as_uri()]
        finally:
            browser.close()
