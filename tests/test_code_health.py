"""The code's own standards, checked by the same one test command as the behaviour.

Lint and formatting (ruff), types (mypy), the import layers (import-linter contracts in
pyproject.toml: reports -> experiments -> analysis -> engine -> scenario -> core, SimPy only in the
engine, plots and templates only in reports), and a light ``import sim``: ``--help``, validating
a scenario and the schema must not pay for matplotlib, Jinja2, Dask, pandas, SciPy or SimPy.
"""

from __future__ import annotations

import ast
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


HEAVY = ("matplotlib", "scipy", "jinja2", "dask", "distributed", "pandas", "pyarrow", "simpy")
"""Libraries that only simulating, analysing or drawing needs; each costs a noticeable part of a second."""


def heavy_modules_loaded_by(*argv: str, status: int = 0) -> list[str]:
    """Run the command line with ``argv`` in a fresh interpreter; the heavy libraries it imported."""
    code = (
        "import sys\nfrom sim.cli import main\n"
        f"try:\n    status = main({list(argv)!r})\nexcept SystemExit as exit:\n    status = exit.code\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}), file=sys.stderr)\n"
        "sys.exit(status)"
    )
    result = run(sys.executable, "-c", code)
    assert result.returncode == status, result.stdout + result.stderr
    return ast.literal_eval(result.stderr.strip().splitlines()[-1])


def test_importing_sim_loads_no_heavy_library():
    result = run(sys.executable, "-c", f"import sys, sim; print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_help_validate_and_schema_load_no_heavy_library():
    # `--help` and `validate` answer in well under a second because they import none of these
    # (they once took 7 s importing all of them); the commands that simulate import what they need.
    for argv in (["--help"], ["run", "--help"], ["compare", "--help"], ["sweep", "--help"], ["demo", "--help"]):
        assert heavy_modules_loaded_by(*argv) == [], argv
    assert heavy_modules_loaded_by("validate", "scenarios/baseline.yaml") == []
    assert heavy_modules_loaded_by("validate", "scenarios/baseline.yaml", "--set", "teams[0].agnets=3", status=2) == []
    assert heavy_modules_loaded_by("schema") == []


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
