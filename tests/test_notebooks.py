"""The example notebooks (examples/*.ipynb) run top to bottom, as a reader runs them.

Each notebook runs in a fresh Jupyter kernel on this very interpreter (``sys.executable``, from a
kernelspec written to a temporary folder: nothing is registered globally), with the repository on
``PYTHONPATH``, its root as the working directory, ``EXAMPLES_QUICK=1`` (each notebook's first
cell, its parameters, then shrinks horizons and replications to seconds) and ``EXAMPLES_OUT`` in
a temporary folder (where the notebooks write). An error in any cell fails the test. Without
nbclient or ipykernel the run tests skip locally and fail in CI (``CI=true``), where the dev extra
installs them. The three take about 12 s together (a kernel start and a few seconds of simulation
each), so the fast suite keeps them.

The notebooks are kept in git without outputs, on the ``python3`` kernel, linted and formatted by
ruff like the code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NOTEBOOKS = ["what_if.ipynb", "sweep_pandas.ipynb", "calibration.ipynb"]
CELL_TIMEOUT = 300
"""Seconds a cell may take (each takes a few in quick mode; a busy CI machine is slower)."""


def notebook_runner():
    """nbclient and nbformat, or skip (locally) / fail (in CI) when they or ipykernel are missing."""
    try:
        import ipykernel  # noqa: F401  (the kernel the notebooks run on)
        import nbclient
        import nbformat
    except ImportError as missing:
        message = f"{missing.name} is not installed: pip install nbclient nbformat ipykernel (the dev extra has them)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return nbclient, nbformat


def this_interpreters_kernel(folder: Path):
    """A kernel manager whose ``python3`` kernel is ``sys.executable`` running ipykernel, found only in ``folder``."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"}))
    specs = KernelSpecManager(kernel_dirs=[str(folder / "kernels")], ensure_native_kernel=False)
    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=specs)


def kernel_environment(out: Path) -> dict[str, str]:
    """This process's environment with the repository first on the path, quick sizes and the output folder."""
    path = os.pathsep.join(p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p)
    return {**os.environ, "PYTHONPATH": path, "EXAMPLES_QUICK": "1", "EXAMPLES_OUT": str(out)}


def read(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    return "".join(cell["source"])


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_example_notebook_is_kept_without_outputs_on_python3_with_its_parameters_first(name):
    notebook = read(name)
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code), "clear the outputs"
    first = notebook["cells"][0]
    assert first["cell_type"] == "code" and "parameters" in first["metadata"].get("tags", [])
    assert 'QUICK = os.environ.get("EXAMPLES_QUICK") == "1"' in source(first)


def test_the_example_notebooks_pass_ruff_check_and_format_like_the_code():
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "examples"], cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_example_notebook_runs_top_to_bottom_in_quick_mode_and_shows_its_pictures(name, tmp_path):
    nbclient, nbformat = notebook_runner()
    notebook = nbformat.read(EXAMPLES / name, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        km=this_interpreters_kernel(tmp_path),
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(ROOT)}},
    )
    client.execute(env=kernel_environment(tmp_path / "out"))  # a cell's error raises CellExecutionError
    pictures = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert pictures, "the notebook showed no picture"
    assert any((tmp_path / "out").rglob("*")), "the notebook wrote nothing under EXAMPLES_OUT"
