"""The docs site's Reference pages are generated from the code; these tests keep them complete and true.

They check the page functions (``sim.reference_pages``) without building the site: the KPI definitions
cover the registry exactly, the suffixes they document are the ones runs produce, the command-line page
lists every subcommand and option with argparse's own wording, and the API page every facade name.
"""

from __future__ import annotations

import argparse
import re
import runpy

import pytest
from conftest import ROOT, SCENARIOS

import sim
from sim.analysis.kpi_catalogue import KPIS
from sim.analysis.kpi_docs import DEFINITIONS, DETAILS, GROUPS, UNITS, anchor, references
from sim.analysis.kpi_names import _DETAILS
from sim.analysis.kpis import replication_kpis, served_by_details
from sim.cli import build_parser
from sim.engine import run_replication
from sim.engine.agent_time import Cause
from sim.reference_pages import API_GROUPS, PAGES, api_page, cli_page, kpi_page, scenario_page
from sim.scenario.loader import load_scenario
from sim.scenario.reference import markdown
from sim.scenario.spec import Scenario
from sim.scenario.triggers import Kind, escalation_reasons


def subcommands() -> dict[str, argparse.ArgumentParser]:
    (action,) = (a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


# KPIs


def test_every_kpi_of_the_registry_has_a_definition_and_no_definition_is_for_an_unknown_kpi():
    assert sorted(set(KPIS) - set(DEFINITIONS)) == [], "KPIs without a definition in sim/analysis/kpi_docs.py"
    assert sorted(set(DEFINITIONS) - set(KPIS)) == [], "definitions of KPIs that do not exist"
    assert all(text.strip().endswith(".") for text in DEFINITIONS.values())


def test_definitions_refer_only_to_kpis_that_exist():
    unknown = {name: ref for name, text in DEFINITIONS.items() for ref in references(text) if ref not in KPIS}
    assert unknown == {}


def test_kpi_groups_hold_every_kpi_exactly_once_and_every_unit_is_explained():
    grouped = [name for _, names in GROUPS for name in names]
    assert sorted(grouped) == sorted(KPIS)
    assert len(grouped) == len(set(grouped))
    assert {unit for _, unit in KPIS.values()} <= set(UNITS)
    assert set(DETAILS) <= set(KPIS)


def test_kpis_with_special_details_document_them():
    # kpi_names accepts these details (kinds, reasons, routes, tiers, team.pool, causes): the page says so
    placeholders = {name: DETAILS[name][1][0] for name in _DETAILS}
    assert placeholders == {
        "escalation_kind": "kind",
        "escalation_reason": "reason",
        "path_share": "route",
        "cost_per_ticket_tier": "tier",
        "served_by": "team.pool",
        "shrinkage": "cause",
    }


def allowed_details(placeholder: str, s: Scenario) -> set[str] | None:
    """The details a scenario can give a placeholder; None for a route (checked by its parts)."""
    pools = {p.name for p in s.pools}
    return {
        "channel": {c.name for c in s.channels},
        "team": {t.name for t in s.teams},
        "pool": pools,
        "priority": set(s.priorities),
        "category": {c.name for c in s.categories},
        "segment": set(s.segments),
        "kind": set(Kind.all()),
        "reason": set(escalation_reasons(s.escalation)),
        "tier": {str(t.tier) for t in s.teams},
        "team.pool": set(served_by_details(s)),
        "cause": set(Cause.all()),
    }.get(placeholder)


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_kpis_a_bundled_scenario_produces_have_the_documented_suffixes(path):
    scenario = load_scenario(path, ["horizon=2d", "warmup=12h"])
    problems = []
    for name in replication_kpis(run_replication(scenario, 0), scenario):
        base, dot, detail = name.partition(".")
        if base not in KPIS:
            problems.append(f"{name}: base not in KPIS")
        elif not dot:
            if base in DETAILS and not DETAILS[base][0]:
                problems.append(f"{name}: documented as taking a detail only")
        elif base not in DETAILS:
            problems.append(f"{name}: documented as taking no detail")
        else:
            placeholder = DETAILS[base][1][0]
            allowed = allowed_details(placeholder, scenario)
            teams = {t.name for t in scenario.teams}
            ok = set(detail.split(">")) <= teams if placeholder == "route" else allowed and detail in allowed
            if not ok:
                problems.append(f"{name}: {detail!r} is not a {placeholder}")
    assert problems == []


def test_the_kpi_page_shows_every_kpi_with_its_label_unit_and_definition():
    page = kpi_page()
    for name, (label, unit) in KPIS.items():
        row = next((line for line in page.splitlines() if f"{{#{anchor(name)}}}" in line), None)
        assert row is not None, name
        assert label in row and (f"`{unit}`" in row if unit else True)
        assert all(f"(#{anchor(ref)})" in row for ref in references(DEFINITIONS[name])), name
    assert not references(page.replace("{#", "")), "every {reference} became a link"


def test_kpi_links_point_at_rows_of_the_page():
    page = kpi_page()
    ids = set(re.findall(r"\{#([^}]+)\}", page))
    assert set(re.findall(r"\]\(#([^)]+)\)", page)) <= ids


# command line


def test_the_cli_page_has_a_section_for_every_subcommand_with_every_option():
    page = cli_page()
    for name, parser in subcommands().items():
        assert f"## `{name}`" in page, name
        section = page.split(f"## `{name}`", 1)[1].split("\n## ", 1)[0]
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            for option in action.option_strings:
                assert re.search(rf"`{re.escape(option)}[ `]", section), f"{name}: {option}"
            if not action.option_strings:
                assert re.search(rf"`\[?{re.escape(action.metavar or action.dest)}", section), f"{name}: {action.dest}"
        assert f"usage: escalation-sim {name}" in section
        for line in (parser.epilog or "").splitlines()[1:]:
            assert line.strip() in section, f"{name}: example {line.strip()!r}"


def test_the_cli_page_shows_help_as_argparse_prints_it_without_percent_escapes():
    page = cli_page()
    assert "%%" not in page and "%(" not in page
    assert "95% confidence intervals" in page


def test_help_of_every_command_prints_no_percent_escape():
    # run and compare described "95%% confidence": argparse only %-formats a description holding %(prog)
    for name, parser in subcommands().items():
        assert "%%" not in parser.format_help(), name
    assert "%%" not in build_parser().format_help()


# scenario and API


def test_the_scenario_page_is_the_schema_reference_under_an_introduction():
    page = scenario_page()
    assert page.endswith(markdown(level=2))
    assert "--set PATH=VALUE" in page and "run_sim.py schema" in page
    assert markdown(level=2).replace("\n## ", "\n#### ") == markdown()


def test_the_api_page_documents_every_name_of_the_facade():
    grouped = [name for _, names in API_GROUPS for name in names]
    assert sorted(grouped) == sorted(set(sim.__all__) - {"__version__"})
    page = api_page()
    assert all(re.search(rf"\.\. auto(class|function):: sim\.{name}\b", page) for name in grouped)


# the gen-files script


def test_the_build_script_writes_every_generated_page_and_leaves_unchanged_ones_alone(tmp_path):
    generate = runpy.run_path(str(ROOT / "docs" / "generate.py"))
    paths = generate["write_reference"](tmp_path)
    assert {p.name: p.read_text(encoding="utf-8") for p in paths} == {name: page() for name, page in PAGES.items()}
    assert {p.name for p in paths} == {"scenario.md", "kpis.md", "cli.md", "api.md"}
    stamps = {p: p.stat().st_mtime_ns for p in paths}
    generate["write_reference"](tmp_path)
    assert {p: p.stat().st_mtime_ns for p in paths} == stamps
