"""The ``calibrate`` command: from a shipped export to a scenario that loads, with one-line errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from sim.cli import main
from sim.scenario.loader import load_scenario

GENERIC = ROOT / "data" / "example_generic"
ZENDESK = ROOT / "data" / "example_zendesk"


def calibrate(*argv: str | Path) -> int:
    return main(["calibrate", *map(str, argv)])


def test_calibrating_the_example_writes_a_scenario_that_loads_and_says_how_to_back_test_it(tmp_path, capsys):
    out = tmp_path / "desk.yaml"
    assert calibrate(GENERIC / "tickets.csv.gz", "--events", GENERIC / "events.csv.gz", "-o", out, "--no-report") == 0
    printed = capsys.readouterr().out
    assert "read 36,040 tickets, 122,389 events; no rows skipped" in printed
    assert f"next: python run_sim.py backtest {out} " in printed
    scenario = load_scenario(out)
    assert scenario.name == "desk"
    assert [c.name for c in scenario.channels] == ["chat", "email", "phone"]
    assert {t.name for t in scenario.teams} == {"tier1", "tier2", "engineering", "billing", "team_leads"}


def test_a_base_scenario_supplies_the_rosters_and_the_zendesk_layout_reads_the_same(tmp_path, capsys):
    out = tmp_path / "tiered_calibrated.yaml"
    argv = [ZENDESK / "tickets.csv.gz", "--events", ZENDESK / "events.csv.gz", "--format", "zendesk"]
    assert calibrate(*argv, "--base", ROOT / "scenarios" / "tiered.yaml", "-o", out, "--no-report") == 0
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    tier1 = next(t for t in doc["teams"] if t["name"] == "tier1")
    assert tier1["shifts"][0]["agents"] == 14  # the base's roster, not an estimate
    chat = next(c for c in doc["channels"] if c["name"] == "chat")
    assert chat["concurrency"] == 2 and chat["service_level"]["target"] == 1.0
    assert "--format zendesk" in capsys.readouterr().out


def test_an_export_in_another_layout_says_which_format_to_use(tmp_path, capsys):
    assert calibrate(ZENDESK / "tickets.csv.gz", "-o", tmp_path / "x.yaml") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("error: tickets.csv.gz: missing columns 'ticket', 'created'")
    assert err.endswith("it looks like a zendesk export: add --format zendesk")


def test_an_unknown_time_zone_is_one_line(tmp_path, capsys):
    argv = [GENERIC / "tickets.csv.gz", "--timezone", "Mars/Olympus", "-o", tmp_path / "x.yaml"]
    assert calibrate(*argv) == 2
    assert "--timezone 'Mars/Olympus' is not a time zone" in capsys.readouterr().err


def test_a_missing_file_is_one_line(tmp_path, capsys):
    assert calibrate(tmp_path / "nope.csv", "-o", tmp_path / "x.yaml") == 2
    assert capsys.readouterr().err.startswith("error: nope.csv: cannot read the file")


def test_unusable_rows_are_counted_and_named_not_dropped(tmp_path, capsys):
    lines = gzip.decompress((GENERIC / "tickets.csv.gz").read_bytes()).decode().splitlines()
    header = lines[0].split(",")
    created = header.index("created")
    bad = lines[5].split(",")
    bad[created] = "yesterday"
    lines[5] = ",".join(bad)
    path = tmp_path / "tickets.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert calibrate(path, "-o", tmp_path / "x.yaml", "--no-report") == 0
    printed = capsys.readouterr().out
    assert "1 row skipped: 1 in tickets.csv, column 'created'" in printed and "(rows 6)" in printed
    assert "1 row skipped" in (tmp_path / "x.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["Tier 1 Support", "billing/refunds"])
def test_export_names_become_scenario_names_and_the_file_lists_the_renames(tmp_path, name):
    lines = gzip.decompress((GENERIC / "tickets.csv.gz").read_bytes()).decode().splitlines()
    text = "\n".join(lines).replace(",tier1,", f",{name},")
    path = tmp_path / "tickets.csv"
    path.write_text(text + "\n", encoding="utf-8")
    out = tmp_path / "renamed.yaml"
    assert calibrate(path, "-o", out, "--no-report") == 0
    scenario = load_scenario(out)
    renamed = name.replace(" ", "_").replace("/", "_")
    assert renamed in {t.name for t in scenario.teams}
    assert f"'{name}' -> {renamed}" in out.read_text(encoding="utf-8")
