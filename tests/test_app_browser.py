"""The what-if app in a real browser: Debian's headless Chromium, driven by Playwright, against the app on localhost.

The app runs as ``run_sim.py app`` would start it, in its own process. The checks are what a
trainer does in front of a room: open the page (no console errors, no request leaves the
machine), lower the tier-1 staffing and see the phone service level fall, and play the replay.
Screenshots land in ``results/test-artifacts/``. Without Chromium or Playwright the tests skip
locally and fail under CI, which installs both.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import CHROMIUM_ARGS, ROOT, scenario_doc

if not os.environ.get("CI"):
    pytest.importorskip("playwright.sync_api", reason="the app's browser test needs the dev extra (playwright)")
from playwright.sync_api import Page, sync_playwright

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium")
ARTIFACTS = ROOT / "results" / "test-artifacts"
RUN_TIMEOUT = 90_000
"""Milliseconds a run may take in the test (the app's budget is 20 s; CI machines are busy)."""
TIER1_FIRST_SHIFT = 'input[data-path="teams.tier1.shifts[0].agents"]'

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on tiered.yaml, as ``run_sim.py app`` starts it, on a free port."""
    port = free_port()
    out = tmp_path_factory.mktemp("app-results")
    log = open(out / "app.log", "w", encoding="utf-8")  # noqa: SIM115 - open while the server runs
    command = ["run_sim.py", "app", "scenarios/tiered.yaml", "--port", str(port), "--no-browser", "--workers", "2"]
    server = subprocess.Popen(
        [sys.executable, *command, "--out", str(out)],
        cwd=ROOT,
        env={name: value for name, value in os.environ.items() if name != "PYTEST_CURRENT_TEST"},  # NiceGUI reads it
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(url, server, out / "app.log")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def wait_until_serving(url: str, server: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the app stopped: {log.read_text(encoding='utf-8')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the app did not answer within {seconds:.0f}s: {log.read_text(encoding='utf-8')}")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM or "/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, app_url: str) -> Iterator[tuple[Page, list[str], list[str]]]:
    """A fresh tab on the app, with the console errors and the requests that left localhost."""
    tab = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    outside: list[str] = []
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("request", lambda request: outside.append(request.url) if not local(request.url) else None)
    tab.goto(app_url)
    yield tab, errors, outside
    tab.close()


def local(url: str) -> bool:
    return url.startswith(("http://127.0.0.1", "http://localhost", "data:", "blob:", "about:"))


def wait_for_answer(tab: Page) -> None:
    tab.wait_for_selector('[data-testid="status"][data-state="done"]', timeout=RUN_TIMEOUT)


def shot(tab: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_the_page_loads_offline_without_console_errors_and_answers(page) -> None:
    tab, errors, outside = page
    wait_for_answer(tab)
    shot(tab, "app-loaded")
    assert errors == []
    assert outside == [], "the app must work offline: no CDN, no remote fonts"
    assert tab.locator(".cards [data-kpi]").count() >= 10
    assert "Simulating the scenario's full 8 days" in tab.inner_text('[data-testid="horizon"]')


def test_fewer_tier1_agents_lower_the_phone_service_level_shown(page) -> None:
    tab, errors, _ = page
    wait_for_answer(tab)
    phone = '[data-kpi="service_level.phone"]'
    assert float(tab.get_attribute(phone, "data-diff")) == 0.0, "no knob moved yet: the variant is the base"
    field = tab.locator(TIER1_FIRST_SHIFT)
    field.fill("8")
    field.press("Enter")
    tab.wait_for_selector('[data-testid="status"][data-state="running"]', timeout=10_000)
    wait_for_answer(tab)
    shot(tab, "app-tier1-fewer")
    assert "teams.tier1.shifts[0].agents=8" in tab.inner_text('[data-testid="changes"]')
    assert float(tab.get_attribute(phone, "data-diff")) < 0
    assert tab.get_attribute(phone, "data-significant") == "true"
    assert "worse" in tab.inner_text(phone)
    assert errors == []


def test_the_replay_advances_when_played_and_stops_when_paused(page) -> None:
    tab, errors, _ = page
    wait_for_answer(tab)
    tab.click('[data-testid="tab-replay"]')
    frame = tab.frame_locator('[data-testid="replay"]')
    frame.locator("html[data-replay-ready='true']").wait_for(timeout=30_000)
    start = float(frame.locator("html").get_attribute("data-replay-minute"))
    frame.locator("#replay-play").click()
    time.sleep(2.0)
    playing = float(frame.locator("html").get_attribute("data-replay-minute"))
    assert playing > start
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.locator('[data-testid="replay"]').screenshot(path=str(ARTIFACTS / "app-replay.png"))
    frame.locator("#replay-play").click()
    paused = float(frame.locator("html").get_attribute("data-replay-minute"))
    time.sleep(1.0)
    assert float(frame.locator("html").get_attribute("data-replay-minute")) == paused
    assert errors == []


def test_an_uploaded_scenario_with_a_bad_value_shows_the_file_and_the_field(page, tmp_path: Path) -> None:
    tab, errors, _ = page
    wait_for_answer(tab)
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(scenario_doc(teams=[{"name": "desk", "agents": -2}])), encoding="utf-8")
    tab.locator('[data-testid="upload"] input[type="file"]').set_input_files(str(broken))
    problem = tab.locator('[data-testid="problem"]')
    problem.wait_for(state="visible", timeout=20_000)
    text = problem.inner_text()
    shot(tab, "app-bad-upload")
    assert "broken.yaml" in text and "teams[0].agents" in text
    assert errors == []
