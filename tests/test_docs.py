"""The documentation site: it builds with every warning an error, and the tutorials' code runs as written.

The site is Sphinx with MyST Markdown (``docs/conf.py``); a broken link, a missing anchor, a
toctree entry without a page or a docstring that does not parse fails the build. The tutorials'
``python run_sim.py`` commands run in ``test_readme_commands`` with every other documented
command; their Python blocks run here, in order, in a workspace that holds what the commands
before them wrote (shortened as there: a day of simulated time, few points).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from test_readme_commands import _short_sweep

from sim.cli import main

DOCS = ROOT / "docs"
TUTORIALS = sorted((DOCS / "tutorials").glob("*.md"))


def python_blocks(page: Path) -> list[str]:
    """The page's fenced ``python`` blocks, in order."""
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), flags=re.S | re.M)


@pytest.mark.slow
def test_the_docs_build_with_every_warning_an_error(tmp_path: Path) -> None:
    pytest.importorskip("sphinx", reason="the docs build needs the dev extra (sphinx, myst-parser, furo)")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    site = tmp_path / "site"
    for page in ("index", "tutorials/planner", "reference/generated/scenario", "reference/generated/api"):
        assert (site / f"{page}.html").is_file(), page
    api = (site / "reference" / "generated" / "api.html").read_text(encoding="utf-8")
    assert "sim.compare" in api and "sim.load_scenario" in api


def test_every_tutorial_page_is_in_the_site_and_links_only_to_pages_that_exist() -> None:
    assert [p.stem for p in TUTORIALS] == ["index", "planner", "researcher", "trainer"]
    for page in DOCS.rglob("*.md"):
        if "generated" in page.parts:
            continue
        for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            resolved = (page.parent / target).resolve()
            generated = "generated" in resolved.parts
            assert generated or resolved.is_file(), f"{page.relative_to(ROOT)} links to a missing {target}"


@pytest.mark.slow
def test_the_researcher_tutorials_python_runs_on_the_sweep_it_describes(tmp_path: Path) -> None:
    short = _short_sweep(ROOT / "scenarios" / "sweeps" / "research_lhs.yaml", tmp_path)
    out = tmp_path / "results" / "sweeps" / "research_lhs"
    assert main(["sweep", str(short), "--out", str(out), "-w", "1", "--quiet"]) == 0
    blocks = python_blocks(DOCS / "tutorials" / "researcher.md")
    assert blocks, "the researcher tutorial analyses its sweep in Python"
    for block in blocks:
        result = subprocess.run(
            [sys.executable, "-c", block],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"{block}\n{result.stderr[-2000:]}"
        assert "service_level.phone_mean" in result.stdout or "volume_band" in result.stdout


@pytest.mark.parametrize("page", [p for p in TUTORIALS if p.stem != "index"], ids=lambda p: p.stem)
def test_each_tutorial_has_commands_to_run(page: Path) -> None:
    from test_readme_commands import page_commands

    assert len(page_commands(page.read_text(encoding="utf-8"))) >= 2
