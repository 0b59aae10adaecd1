"""HTML reports: one self-contained file per run, comparison or sweep, that a real browser renders whole.

The browser is Debian's headless ``chromium``. Without it the browser tests skip locally and fail
in CI (``CI=true``), where ``.ci/run`` installs it.
"""

import base64
import io
import os
import re
import shutil
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image
from small_desk import scenario as small_scenario
from small_desk import write_scenario

from sim.cli import main
from sim.experiments.compare import compare, write_comparison
from sim.experiments.results import load_run
from sim.experiments.sweeps import sweep
from sim.scenario.loader import load_scenario

IMAGE = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
RUN_PICTURES = ["backlog", "waits", "intervals", "sla", "utilisation", "flow", "paths"]


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """``run --report`` of the small desk: two replications, one worker."""
    root = tmp_path_factory.mktemp("run")
    code, out, err = cli(
        "run", str(write_scenario(root)), "--out", str(root / "results"), "-w", "1", "--quiet", "--report"
    )
    assert code == 0, err
    folder = re.search(r"^results: (.+)$", out, re.M)
    assert folder is not None, out
    return Path(folder.group(1))


@pytest.fixture(scope="module")
def comparison_folder(tmp_path_factory) -> Path:
    """The small desk against three more day-shift agents, half a day, two replications; then ``report``."""
    more = small_scenario(horizon="12h", warmup="1h")
    shifts = more.teams[0].shifts
    assert shifts is not None  # the small desk is staffed by shifts
    shifts[0].agents = 9
    result = compare(
        {"desk": small_scenario(horizon="12h", warmup="1h"), "more_agents": more}, 2, workers=1, progress=False
    )
    folder = write_comparison(result, tmp_path_factory.mktemp("compare"))
    code, out, err = cli("report", str(folder))
    assert (code, err) == (0, "") and out == f"report: {folder / 'report.html'}\n"
    return folder


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory) -> Path:
    """A 2 x 2 staffing sweep of the small desk over half a day; then its report."""
    root = tmp_path_factory.mktemp("sweep")
    write_scenario(root, horizon="12h", warmup="1h")
    spec = {
        "name": "staffing",
        "base": "small_desk.yaml",
        "replications": 2,
        "kpis": ["service_level.phone", "service_level.chat"],
        "parameters": {"teams.tier1.shifts[0].agents": [4, 8], "teams.tier1.shifts[1].agents": [2, 5]},
    }
    (root / "sweep.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    result = sweep(root / "sweep.yaml", root / "out", workers=1, progress=False)
    assert result.failed == 0
    code, _, err = cli("report", str(result.folder))
    assert code == 0, err
    return result.folder


def html(folder: Path) -> str:
    return (folder / "report.html").read_text(encoding="utf-8")


def test_run_report_is_one_file_with_every_picture_embedded_and_saved_as_png_and_svg(run_folder):
    page = html(run_folder)
    images = IMAGE.findall(page)
    assert len(images) == len(RUN_PICTURES)
    for data in images:
        with Image.open(io.BytesIO(base64.b64decode(data))) as image:
            assert image.format == "PNG" and image.width > 600
    assert re.findall(r'<section class="plot" id="plot-([a-z-]+)"', page) == RUN_PICTURES
    assert not re.search(r'(src|href)="(?!data:)', page)  # nothing to fetch: no links, no files
    saved = sorted(p.name for p in (run_folder / "plots").iterdir())
    assert saved == sorted(f"{i:02d}-{key}.{ext}" for i, key in enumerate(RUN_PICTURES, 1) for ext in ("png", "svg"))


def test_run_report_leads_with_key_kpis_and_their_intervals_and_explains_every_picture(run_folder):
    page = html(run_folder)
    table = page[page.index('<table id="kpi-table">') : page.index("</table>")]
    assert re.findall(r'data-kpi="([^"]+)"', table)[:3] == ["arrived", "service_level.phone", "service_level.chat"]
    summary = load_run(run_folder).summary.set_index("kpi")
    low, high = summary.loc["service_level.phone", ["ci_low", "ci_high"]]
    assert f"[{100 * low:.1f}%, {100 * high:.1f}%]" in table
    assert page.count("How to read this.") == len(RUN_PICTURES)
    assert "A small desk: phone and chat" in page
    assert "6 × 06:00-18:00 daily, 3 × 18:00-06:00 daily" in page  # the scenario at a glance


def test_comparison_report_shows_each_scenario_and_the_paired_differences(comparison_folder):
    page = html(comparison_folder)
    assert "<th>desk</th><th>more_agents</th>" in page.replace("\n", "").replace("  ", "")
    assert "<th>Δ more_agents</th>" in page
    row = re.search(r'data-kpi="utilisation.tier1">(.*?)</tr>', page, re.S).group(1)
    difference = re.search(r'<td class="significant">(-[0-9.]+ pp)<', row)
    assert difference is not None, row  # the same work shared by more agents: each is less busy
    assert re.findall(r'id="plot-([a-z-]+)"', page) == ["bars", "differences"]


def test_a_comparison_of_only_kpis_outside_the_key_list_still_gets_its_pictures(tmp_path):
    more = small_scenario(horizon="12h", warmup="1h")
    assert more.teams[0].shifts is not None
    more.teams[0].shifts[0].agents = 9
    kpis = ["handoffs_3plus", "queue_length.tier1"]
    result = compare({"desk": small_scenario(horizon="12h", warmup="1h"), "more": more}, 2, kpis=kpis, workers=1)
    folder = write_comparison(result, tmp_path)
    code, _, err = cli("report", str(folder))
    assert (code, err) == (0, "")
    assert 'id="plot-bars"' in html(folder) and "queue_length" not in err


def test_sweep_report_names_the_cheapest_staffing_that_meets_every_goal(sweep_folder):
    page = html(sweep_folder)
    assert re.findall(r'id="plot-([a-z-]+)"', page) == ["sweep", "heatmap", "staffing"]
    callout = page[page.index('id="cheapest"') : page.index("</div>", page.index('id="cheapest"'))]
    best = re.search(r'<tr class="best">(.*?)</tr>', page, re.S).group(1)
    values = re.findall(r"<td>([^<]*)<span", best)
    assert "Cheapest staffing" in callout
    assert f"<code>teams.tier1.shifts[0].agents</code> = <b>{values[0]}</b>" in callout
    assert f"<code>teams.tier1.shifts[1].agents</code> = <b>{values[1]}</b>" in callout


def test_report_of_a_folder_without_results_is_a_clear_error(tmp_path):
    code, out, err = cli("report", str(tmp_path))
    assert code == 2 and out == ""
    assert err.startswith(f"error: {tmp_path} holds no run, comparison, sweep or optimiser results")


def test_a_run_folder_scenario_loads_as_the_scenario_that_was_run(run_folder):
    written = next(p / "small_desk.yaml" for p in run_folder.parents if (p / "small_desk.yaml").exists())
    assert load_scenario(run_folder / "scenario.resolved.yaml") == load_scenario(written)


def chromium() -> str:
    """The headless browser, or skip (locally) / fail (in CI) without it."""
    path = shutil.which("chromium")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def browse(page: Path, tmp_path: Path, *options: str) -> subprocess.CompletedProcess:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
        *options,
        page.resolve().as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("kind", ["run", "comparison", "sweep"])
def test_report_loads_in_headless_chromium_without_errors_and_every_image_decodes(kind, request, tmp_path):
    folder = request.getfixturevalue(f"{kind}_folder")
    dom = browse(folder / "report.html", tmp_path, "--virtual-time-budget=5000", "--dump-dom").stdout
    root = re.search(r"<html[^>]*>", dom).group(0)
    attributes = dict(re.findall(r'data-([a-z]+)="([^"]*)"', root))
    assert attributes["checked"] == "yes", root
    assert attributes["errors"] == "0"
    assert attributes["broken"] == "0"
    assert int(attributes["images"]) == len(IMAGE.findall(html(folder))) >= 2
    assert 'id="kpi-table"' in dom


def test_run_report_renders_to_a_full_screenshot_with_pictures_on_it(run_folder, tmp_path):
    shot = tmp_path / "report.png"
    browse(run_folder / "report.html", tmp_path, f"--screenshot={shot}", "--window-size=1280,4000")
    with Image.open(shot) as image:
        assert image.size == (1280, 4000)
        pixels = np.asarray(image.convert("RGB"), dtype=float)
    rows_with_ink = (pixels.std(axis=(1, 2)) > 5).mean()
    assert rows_with_ink > 0.5  # text, tables and plots all the way down, not a blank or broken page
    assert len(np.unique(pixels.reshape(-1, 3)[::97], axis=0)) > 200  # colourful plots, not just text
