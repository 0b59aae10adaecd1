"""The code's own standards, checked by the same one test command as the behaviour.

Lint and formatting (ruff), types (mypy), the import layers (import-linter contracts in
pyproject.toml: reports -> experiments -> analysis -> engine -> scenario -> core, SimPy only in the
engine, plots and templates only in reports), and a light ``import sim``: validating a scenario
must not pay for matplotlib or Jinja2.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = ["sim", "tests", "bench", "run_sim.py"]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    """Run a command at the repository root, capturing what it says."""
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_finds_nothing_to_fix():
    result = run(sys.executable, "-m", "ruff", "check", *CODE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_is_formatted_as_ruff_formats_it():
    result = run(sys.executable, "-m", "ruff", "format", "--check", *CODE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_no_type_errors_in_the_package():
    result = run(sys.executable, "-m", "mypy", "sim")
    assert result.returncode == 0, result.stdout + result.stderr


def test_imports_follow_the_layers_and_keep_simpy_plots_and_templates_in_their_place():
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports())"
    result = run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_sim_and_validating_a_scenario_load_neither_matplotlib_nor_jinja2():
    code = (
        "import sys; import sim; from sim.cli import main\n"
        "status = main(['validate', 'scenarios/baseline.yaml'])\n"
        "print(sorted(m for m in ('matplotlib', 'jinja2') if m in sys.modules)); sys.exit(status)"
    )
    result = run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("[]"), result.stdout


def test_no_module_imports_itself_back_at_run_time():
    import grimp

    graph = grimp.build_graph("sim", exclude_type_checking_imports=True)
    cycles = sorted(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    )
    assert cycles == []
