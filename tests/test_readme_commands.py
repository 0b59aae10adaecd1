"""Commands as documented: every ``python run_sim.py …`` in README.md and in ``--help`` runs, and a
mistake in an override is named by the override (issue 12, items 8 and 9).

The README commands are read from the README at test time, so whatever the sections say after a
merge is what is run; each gets a short horizon, two replications, one worker and a temporary
``--out`` appended, so the whole list costs a couple of minutes (marked slow).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import BASELINE, ROOT, scenario_doc

from sim.cli import build_parser, main
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load_scenario

README = ROOT / "README.md"
DOCS = ROOT / "docs"


def documented_pages() -> list[Path]:
    """The README and every hand-written docs page, in the site's order (a how-to's commands may need an earlier one's).

    The order is the toctrees': each part's index lists its pages; the generated reference has no commands.
    """
    pages = [README, DOCS / "index.md"]
    for part in ("tutorials", "how-to", "reference", "background"):
        index = DOCS / part / "index.md"
        block = re.search(r"```\{toctree\}\n(.*?)```", index.read_text(encoding="utf-8"), re.S)
        entries = [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.startswith(":")]
        pages += [index, *(DOCS / part / f"{entry}.md" for entry in entries if not entry.startswith("generated/"))]
    return pages


# --- errors caused by an override name the override --------------------------------------------


def story_file(tmp_path: Path, **fields) -> Path:
    """The conftest story scenario as a file, with one shift team (``front``) and one always-on team."""
    doc = scenario_doc(
        teams=[
            {
                "name": "front",
                "shifts": [
                    {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "16:00", "agents": 2}
                ],
            },
            {"name": "back", "agents": 1},
        ],
        routing=[{"team": "front"}],
        **fields,
    )
    path = tmp_path / "story.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def refusal(path: Path, *overrides: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, list(overrides))
    return caught.value.render()


def test_an_unknown_field_set_by_an_override_is_named_by_the_override_not_a_line_of_the_file(tmp_path):
    path = story_file(tmp_path)
    assert refusal(path, "teams[1].agent=3") == (
        "--set teams[1].agent=3: unknown field agent; did you mean 'agents'? allowed: name, tier, skills, agents, "
        "shifts, handle_time_multiplier, cost_per_hour, overtime_premium, channel_order, authority, supervisor, "
        "authority_mode, approval_time, max_attempts, shrinkage"
    )


def test_a_bad_value_set_by_an_override_is_named_by_the_override(tmp_path):
    path = story_file(tmp_path)
    assert refusal(path, "horizon=2d", "teams.front.shifts[0].agents=-1") == (
        "--set teams.front.shifts[0].agents=-1: must be at least 1, got -1"
    )


def test_a_problem_under_the_overridden_field_names_the_override_and_the_field(tmp_path):
    path = story_file(tmp_path)
    assert refusal(path, "channels.phone.patience={dist: foo, mean: 3m}") == (
        "--set 'channels.phone.patience={dist: foo, mean: 3m}': channels[0].patience.dist: unknown distribution "
        "'foo'; allowed: empirical, exponential, fixed, gamma, lognormal, triangular, uniform"
    )


def test_a_problem_the_file_has_anyway_is_still_named_by_its_line(tmp_path):
    path = story_file(tmp_path, horizon=-5)
    assert refusal(path, "teams.back.agents=2") == (
        f"{path}:2: horizon: -5 is not a duration: it must be finite and not negative"
    )


def test_an_override_that_breaks_a_reference_elsewhere_is_named(tmp_path):
    path = story_file(tmp_path)
    assert refusal(path, "horizon=2d", "teams[0].name=desk") == (
        "--set horizon=2d, --set teams[0].name=desk: routing[0].team: unknown team 'front'; allowed: desk, back"
    )


def test_a_missing_list_item_lists_the_indices_when_items_have_no_names(tmp_path):
    path = story_file(tmp_path)
    assert refusal(path, "teams.front.shifts[7].agents=3") == (
        "--set teams.front.shifts[7].agents=3: no item 7 in teams[0].shifts; it has 1 item, addressed by index [0]"
    )
    assert refusal(path, "teams.middle.agents=3") == (
        "--set teams.middle.agents=3: no item 'middle' in teams; choose one of: front, back (or an index [0] to [1])"
    )


def test_agents_on_a_team_that_works_in_shifts_names_the_shift_paths_to_use(tmp_path):
    path = story_file(tmp_path)
    assert refusal(path, "teams.front.agents=14") == (
        "--set teams.front.agents=14: front works in shifts, so 'agents' (on duty around the clock) does not apply; "
        "set a shift's agents instead: teams.front.shifts[0].agents (mon-fri 08:00-16:00, 2 now); "
        "or also --set teams.front.shifts=null to drop the shifts"
    )
    # dropping the shifts in the same command makes it an always-on team
    assert load_scenario(path, ["teams.front.agents=14", "teams.front.shifts=null"]).team("front").agents == 14


def test_the_bundled_baseline_says_which_shift_to_staff_instead(capsys):
    assert main(["validate", str(BASELINE), "--set", "teams.tier1.agents=14"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --set teams.tier1.agents=14: tier1 works in shifts")
    assert "teams.tier1.shifts[0].agents (mon-fri 07:00-15:30, 9 now)" in err
    assert "baseline.yaml" not in err


def test_a_variant_override_is_named_by_its_variant(capsys, tmp_path):
    args = [
        "compare",
        str(BASELINE),
        "--variant",
        "more:horizon=2d,teams.tier1.shift=3",
        "--out",
        str(tmp_path),
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --variant more:teams.tier1.shift=3: unknown field shift; did you mean 'shifts'?")


def test_a_sweep_files_fixed_override_is_named_by_its_line_in_the_sweep_file(tmp_path):
    from sim.experiments.sweep_files import load_sweep

    path = tmp_path / "sweep.yaml"
    path.write_text(
        f"base: {BASELINE}\nset: [horizon=2d, teams.tier1.agent=3]\n"
        "parameters:\n  teams.billing.shifts[0].agents: [4, 5]\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    assert caught.value.render().startswith(
        f"{path}:2: set[1]: teams.tier1.agent=3: unknown field agent; did you mean 'agents'?"
    )


# --- every documented command runs ------------------------------------------------------------

SHORT = {
    "run": ["--set", "horizon=1d", "--set", "warmup=2h", "-r", "2", "-w", "1", "--quiet"],
    "compare": ["--set", "horizon=1d", "--set", "warmup=2h", "-r", "2", "-w", "1", "--quiet"],
    "demo": ["-r", "2", "-w", "1", "--quiet"],
    "sweep": ["--quiet"],
    "optimise": ["--days", "1", "-w", "1", "--quiet"],
    "backtest": ["-r", "3", "-w", "1", "--quiet"],
}
"""What each command gets appended: a day of simulated time, two replications (a back-test: three), one worker."""


def readme_commands() -> list[str]:
    """Every ``python run_sim.py …`` command in the README's and the docs' code blocks and inline code."""
    commands: list[str] = []
    for page in documented_pages():
        commands += page_commands(page.read_text(encoding="utf-8"))
    return list(dict.fromkeys(commands))


def page_commands(text: str) -> list[str]:
    """The ``python run_sim.py …`` commands of one Markdown page, continued lines joined over ``\\``."""
    commands, prose, block, fence = [], [], [], None
    for line in text.splitlines():
        if line.startswith("```"):
            if fence is None:
                fence, block = line[3:].strip(), []
            else:
                if fence in ("bash", "sh", ""):
                    commands += _block_commands("\n".join(block))
                fence = None
        elif fence is None:
            prose.append(line)
        else:
            block.append(line)
    commands += re.findall(r"`(python run_sim\.py [^`]+)`", "\n".join(prose))
    return list(dict.fromkeys(commands))


def _block_commands(block: str) -> list[str]:
    """The ``python run_sim.py`` commands of a shell block, comments dropped and continued lines joined."""
    found = []
    for line in block.replace("\\\n", " ").splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        if "python run_sim.py" in line and not line.startswith("#"):
            found.append(line[line.index("python run_sim.py") :].split(" && ")[0].strip())
    return found


def help_commands() -> list[str]:
    """Every example command in the ``--help`` texts (the epilogs of the commands)."""
    parser = build_parser()
    texts = [parser.format_help()]
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        texts += [sub.format_help() for sub in action.choices.values()]
    found = []
    for text in texts:
        found += [m.strip() for m in re.findall(r"(python run_sim\.py [^\n]+)", text)]
    return list(dict.fromkeys(found))


def help_examples() -> list[str]:
    """The ``--set`` and ``--variant`` examples in the options' help (``e.g. --set PATH=VALUE``)."""
    parser = build_parser()
    helps = []
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        for sub in action.choices.values():
            helps += [option.help or "" for option in sub._actions]
    found = []
    for text in helps:
        found += [f"--set {m}" for m in re.findall(r"--set (\S+=[^\s)]+)", text)]
        found += [f"--variant {m}" for m in re.findall(r"e\.g\. ([A-Za-z0-9_]+:\S+=[^\s)]+)", text)]
    return list(dict.fromkeys(found))


def test_the_readme_and_the_help_document_commands_to_run():
    commands = readme_commands()
    assert len(commands) >= 15, commands
    assert any(c.startswith("python run_sim.py compare scenarios/tiered.yaml") for c in commands)
    assert len(help_commands()) >= 5


def test_every_override_example_in_the_help_is_valid_on_the_bundled_baseline(capsys):
    examples = help_examples()
    assert "--set horizon=3d" in examples and any(e.startswith("--variant ") for e in examples), examples
    for example in examples:
        flag, value = example.split(" ", 1)
        text = value.split(":", 1)[1] if flag == "--variant" else value
        assert main(["validate", str(BASELINE), "--set", text]) == 0, (example, capsys.readouterr().err)


DOCUMENTED = list(dict.fromkeys(readme_commands() + help_commands()))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """One results folder for every documented command, so `--resume` and `report` find earlier results."""
    return tmp_path_factory.mktemp("documented")


@pytest.mark.slow
@pytest.mark.parametrize("command", DOCUMENTED, ids=[c.removeprefix("python run_sim.py ")[:70] for c in DOCUMENTED])
def test_documented_command_runs_as_written(command, workspace):
    argv = _as_run_here(command, workspace)
    if argv[0] == "app" and "--help" not in argv:
        _serves(argv, workspace)
        return
    result = subprocess.run(
        [sys.executable, "run_sim.py", *argv],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"{command}\nran as: {shlex.join(argv)}\n{result.stderr[-1500:]}"


def _as_run_here(command: str, workspace: Path) -> list[str]:
    """The command's arguments with short settings and ``--out`` in ``workspace`` appended.

    The README's stand-ins for the reader's own files become real ones: ``candidate.yaml`` a
    restaffed baseline, ``big.yaml`` the staffing sweep, the report's folder the newest comparison.
    A command that needs a Dask scheduler on another machine, or an extra that is not installed,
    is skipped with the reason.
    """
    argv = shlex.split(command)[2:]
    verb = argv[0]
    if "--scheduler" in argv:
        pytest.skip("needs a Dask scheduler running at the address the README gives")
    if "dask" in argv and not (_importable("dask") and _importable("distributed")):
        pytest.skip("needs the optional extra: pip install -e '.[distributed]'")
    if "candidate.yaml" in argv:
        candidate = workspace / "candidate.yaml"
        doc = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
        doc["name"] = "candidate"
        doc["teams"][0]["shifts"][0]["agents"] += 2
        candidate.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        argv[argv.index("candidate.yaml")] = str(candidate)
    if verb == "report":
        folders = sorted((workspace / "out" / "compare").glob("*"), key=lambda p: p.stat().st_mtime)
        if not folders:
            assert (
                main(
                    [
                        "compare",
                        "scenarios/validation/erlang_c.yaml",
                        "--variant",
                        "x:seed=3",
                        "--set",
                        "horizon=4h",
                        "--set",
                        "warmup=30m",
                        "-r",
                        "2",
                        "-w",
                        "1",
                        "--quiet",
                        "--out",
                        str(workspace / "out"),
                    ]
                )
                == 0
            )
            folders = sorted((workspace / "out" / "compare").glob("*"))
        argv[1] = str(folders[-1])
        return argv
    if verb == "calibrate":  # the scenario lands in the workspace, where `backtest` finds it
        at = argv.index("-o") + 1
        argv[at] = str(workspace / Path(argv[at]).name)
        return argv
    if verb == "backtest" and argv[1].startswith("results/"):
        argv[1] = str(workspace / Path(argv[1]).name)
    if verb == "sweep":
        argv[1] = str(
            _short_sweep(ROOT / ("scenarios/sweeps/staffing.yaml" if argv[1] == "big.yaml" else argv[1]), workspace)
        )
        resuming = "--resume" in argv
        return [*argv, *SHORT["sweep"], "--out", str(workspace / "sweep"), *([] if resuming else ["--overwrite"])]
    extra = [] if verb == "demo" and "--list" in argv else list(SHORT.get(verb, []))
    for flag in ("-r", "--replications"):  # the documented count gives way to two
        if flag in argv and extra:
            at = argv.index(flag)
            del argv[at : at + 2]
    if verb in ("run", "compare", "demo", "optimise", "backtest"):
        extra += ["--out", str(workspace / "out")]
    return argv + extra


def _serves(argv: list[str], workspace: Path) -> None:
    """An ``app`` command, which serves until stopped: it answers on its port within a minute, then is stopped.

    It gets a free port (the documented one may be taken here), no browser and ``--out`` in the workspace.
    """
    import socket
    import time
    import urllib.request

    if not _importable("nicegui"):
        pytest.skip("needs the optional extra: pip install -e '.[app]'")
    if "--port" in argv:
        at = argv.index("--port")
        del argv[at : at + 2]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    extra = ["--port", str(port), "--out", str(workspace / "out"), "-w", "1"]
    extra += [] if "--no-browser" in argv else ["--no-browser"]
    environment = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}  # NiceGUI reads it
    server = subprocess.Popen(
        [sys.executable, "run_sim.py", *argv, *extra],
        cwd=ROOT,
        env={**environment, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    assert response.status == 200
                    return
            except OSError:
                time.sleep(0.3)
        pytest.fail(f"{shlex.join(argv)} did not serve its page: exit {server.poll()}")
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
        assert "Traceback" not in output, output


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _short_sweep(source: Path, workspace: Path) -> Path:
    """A sweep file shortened: the same base and parameters, a day each, two replications, few points."""
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    doc["base"] = str((source.parent / doc["base"]).resolve())
    doc["set"] = [*doc.get("set", []), "horizon=1d", "warmup=2h"]
    doc["replications"] = 2
    if "sample" in doc:
        doc["sample"]["n"] = 4 if doc["sample"].get("method") == "sobol" else 3
    else:
        doc["parameters"] = {name: _first_two(values) for name, values in doc["parameters"].items()}
    short = workspace / source.name
    short.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return short


def _first_two(values):
    """The first two values of a grid parameter (a list, or a range ``{from, to, step}``)."""
    if isinstance(values, list):
        return values[:2]
    if isinstance(values, dict) and "from" in values:
        return [values["from"], values["from"] + values.get("step", 1)]
    return values


def test_the_tiered_scenario_warm_up_covers_what_the_warm_up_detector_suggests():
    # the issue found tiered.yaml warning that its own warm-up was too short; MSER-5 on the
    # backlog now suggests 8.6 h (every seed and replication count tried) against 1 day configured
    import sim

    scenario = load_scenario(ROOT / "scenarios" / "tiered.yaml")
    result = sim.run(scenario, replications=2, workers=1, progress=False, record_events=False)
    assert result.warmup is not None
    assert result.warmup.settled and result.warmup.enough, result.warmup.describe()
