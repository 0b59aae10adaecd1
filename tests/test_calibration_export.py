"""Issue 15, export side: simulated runs written as helpdesk exports and read back into the canonical tables.

Round trips in each layout (generic, Zendesk-like, ServiceNow and Freshdesk column maps), the one-line
message of each bad export naming file, row and column, skipped rows counted, and the shipped examples.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.column_map import ColumnMap, load_column_map
from sim.calibration.export import canonical_run, export_run, simulate_weeks, start_of
from sim.calibration.export_schema import EVENT_COLUMNS, TICKET_COLUMNS, Export, ExportError
from sim.calibration.read import read_export
from sim.engine import RunRecords
from sim.scenario.loader import load_scenario
from sim.scenario.spec import Scenario

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
TOLERANCE = 1.0 / 60 + 1e-9
"""Minutes: timestamps are whole seconds, durations two decimals of a minute."""


@cache
def one_day() -> tuple[Scenario, RunRecords]:
    """One day of the tiered desk: escalations, reopens, abandonment, customer waits, a custom field."""
    scenario = load_scenario(ROOT / "scenarios" / "tiered.yaml")
    records = simulate_weeks(scenario, 1 / 7)[0]
    return scenario.model_copy(update={"horizon": records.horizon}), records


def write(tmp_path: Path, fmt: str) -> tuple[Path, Path]:
    scenario, records = one_day()
    return export_run([records], scenario, tmp_path / fmt, fmt)


def minutes(stamps: pd.Series, scenario: Scenario) -> np.ndarray:
    return ((stamps - start_of(scenario)).dt.total_seconds() / 60).to_numpy(dtype=float)


def assert_times(got: pd.Series, want: pd.Series, scenario: Scenario) -> None:
    g, w = minutes(got, scenario), want.to_numpy(dtype=float)
    assert np.array_equal(np.isnan(g), np.isnan(w))
    assert np.nanmax(np.abs(g - w)) <= TOLERANCE


@pytest.mark.parametrize("fmt", ["generic", "zendesk"])
def test_export_read_back_gives_what_the_records_say(tmp_path: Path, fmt: str) -> None:
    scenario, records = one_day()
    export = read_export(*write(tmp_path, fmt), fmt=fmt)
    assert export.skipped == []
    t = export.tickets.assign(id=lambda d: d["ticket"].astype(int)).sort_values("id").reset_index(drop=True)
    r = records.tickets.sort_values("ticket").reset_index(drop=True)
    assert list(t.columns[: len(TICKET_COLUMNS)]) == list(TICKET_COLUMNS)
    assert {c: str(t[c].dtype) for c in ("created", "solved", "abandoned", "reopens", "work_minutes")} == {
        "created": "datetime64[ns, UTC]",
        "solved": "datetime64[ns, UTC]",
        "abandoned": "bool",
        "reopens": "int64",
        "work_minutes": "float64",
    }
    assert len(t) == len(r)
    assert (t["id"].to_numpy() == r["ticket"].to_numpy()).all()
    assert list(t["channel"]) == list(r["channel"].astype(str))
    assert list(t["category"]) == list(r["category"].astype(str))
    assert list(t["group"]) == list(r["first_team"].astype(str))
    assert_times(t["created"], r["arrival"], scenario)
    assert_times(t["first_reply"], r["answered_at"], scenario)
    outcome = r["outcome"].astype(str)
    assert_times(t["solved"], r["resolved_at"].where(outcome == "resolved"), scenario)
    assert list(t["abandoned"]) == list(outcome == "abandoned")
    assert_times(t["abandoned_at"], r["abandoned_at"].where(outcome == "abandoned"), scenario)
    assert list(t["reopens"]) == list(r["reopens"])
    assert r["reopens"].sum() > 0 and t["abandoned"].sum() > 0 and (outcome == "open").sum() > 0
    assert np.abs(t["work_minutes"] - r["work_time"]).max() <= TOLERANCE
    assert np.allclose(t["attr_credit_amount"], r["attr_credit_amount"], atol=0.01, equal_nan=True)

    e = export.events
    assert e is not None and list(e.columns) == list(EVENT_COLUMNS)
    groups = e[e["kind"] == "group_change"].groupby("ticket", sort=False)["group"].agg(list)
    visits = records.visits.sort_values(["ticket", "entered"], kind="stable")
    paths = visits.groupby(visits["ticket"].astype(str), sort=False)["team"].agg(lambda s: list(s.astype(str)))
    assert groups.sort_index().to_dict() == paths.sort_index().to_dict()
    assert any(len(p) > 1 for p in paths)  # escalations are in the example
    status = e.loc[e["kind"] == "status_change", "status"].value_counts().to_dict()
    logged = records.events["event"].astype(str).value_counts()
    assert status == {
        "new": logged["arrival"],
        "solved": logged["resolved"],
        "pending": logged["pending_customer"],
        "open": logged["customer_replied"],
        "reopened": logged["reopened"],
    }
    ends = e["work_minutes"].sum()  # every stay's work ends at an event unless it ended abandoned or open
    v = records.visits
    assert abs(ends - v.loc[v["exit"].astype(str).isin(["resolved", "escalated"]), "work"].sum()) < len(e) * TOLERANCE


def test_several_replications_are_laid_end_to_end_whole_weeks_apart() -> None:
    scenario, records = one_day()
    tickets, _ = canonical_run([records, records], scenario)
    first, second = tickets[tickets["ticket"].str.startswith("0-")], tickets[tickets["ticket"].str.startswith("1-")]
    assert len(first) == len(second) == len(records.tickets)
    assert ((second["created"].to_numpy() - first["created"].to_numpy()) == pd.Timedelta(days=7)).all()


# -- bad exports -----------------------------------------------------------------------------------------------
def corrupt(path: Path, row: int, column: str, value: str) -> int:
    """Set one cell (spreadsheet row numbering) and return the row."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row - 2, column] = value
    frame.to_csv(path, index=False)
    return row


def message(err: pytest.ExceptionInfo[ExportError]) -> str:
    return err.value.render()


def test_missing_columns_are_listed_at_once_with_close_matches(tmp_path: Path) -> None:
    tickets, _ = write(tmp_path, "zendesk")
    frame = pd.read_csv(tickets, dtype=str).rename(columns={"Created at": "Created_at", "Group": "Grp"})
    frame.drop(columns=["Via"]).to_csv(tickets, index=False)
    with pytest.raises(ExportError) as err:
        read_export(tickets, fmt="zendesk")
    assert message(err) == (
        "tickets.csv: missing columns 'Created at' (did you mean 'Created_at'?), 'Via', 'Group' (did you mean 'Grp'?)"
    )


def test_an_unparseable_date_skips_its_row_with_file_row_and_column(tmp_path: Path) -> None:
    tickets, events = write(tmp_path, "zendesk")
    corrupt(tickets, 17, "Created at", "2024-13-01")
    export = read_export(tickets, events, fmt="zendesk")
    _, records = one_day()
    assert len(export.tickets) == len(records.tickets) - 1
    skipped = [s.render() for s in export.skipped if s.file == "tickets.csv"]
    assert skipped == [
        "tickets.csv:row 17: column 'Created at': '2024-13-01' is not a date "
        "(expected ISO 8601, e.g. 2024-03-01T09:30:00+00:00)"
    ]
    lost = pd.read_csv(tickets, dtype=str)["Id"].iloc[15]  # its events are skipped too, and counted
    orphans = [s for s in export.skipped if s.file == "events.csv"]
    assert orphans and all(
        s.reason == f"'{lost}' is not a ticket of tickets.csv (or was skipped there)" for s in orphans
    )
    assert export.skipped_summary().startswith(f"{1 + len(orphans)} rows skipped: ")


def test_naive_timestamps_without_a_timezone_refuse_the_file(tmp_path: Path) -> None:
    tickets, _ = write(tmp_path, "generic")
    corrupt(tickets, 5, "solved", "2026-03-02 09:30:00")
    with pytest.raises(ExportError) as err:
        read_export(tickets)
    assert message(err) == (
        "tickets.csv:row 5: column 'solved': '2026-03-02 09:30:00' has no time zone: write timestamps with an "
        "offset (ISO 8601, e.g. 2024-03-01T09:30:00+00:00) or give the export's `timezone:` in a column map"
    )


def test_mixed_offsets_are_converted_to_utc(tmp_path: Path) -> None:
    tickets, _ = write(tmp_path, "generic")
    frame = pd.read_csv(tickets, dtype=str, keep_default_na=False)
    utc = pd.to_datetime(frame.loc[0, "created"])
    frame.loc[0, "created"] = utc.tz_convert("Europe/Paris").isoformat()
    frame.to_csv(tickets, index=False)
    assert read_export(tickets).tickets.loc[0, "created"] == utc


def test_a_negative_duration_skips_its_row(tmp_path: Path) -> None:
    tickets, _ = write(tmp_path, "zendesk")
    corrupt(tickets, 9, "First reply time in minutes", "-5")
    export = read_export(tickets, fmt="zendesk")
    assert [s.render() for s in export.skipped] == [
        "tickets.csv:row 9: column 'First reply time in minutes': '-5' is a negative duration"
    ]


def test_solved_before_created_skips_its_row(tmp_path: Path) -> None:
    tickets, _ = write(tmp_path, "generic")
    frame = pd.read_csv(tickets, dtype=str, keep_default_na=False)
    frame.loc[10, ["created", "first_reply"]] = "2026-03-02T12:00:00+00:00"
    frame.loc[10, "solved"] = "2026-03-02T11:00:00+00:00"
    frame.to_csv(tickets, index=False)
    export = read_export(tickets)
    assert [s.render() for s in export.skipped] == [
        "tickets.csv:row 12: column 'solved': solved at 2026-03-02T11:00:00+00:00 is before created at "
        "2026-03-02T12:00:00+00:00"
    ]


def test_skipped_rows_are_counted_and_summarised(tmp_path: Path) -> None:
    tickets, _ = write(tmp_path, "generic")
    frame = pd.read_csv(tickets, dtype=str, keep_default_na=False)
    frame.loc[[3, 7, 20], "created"] = ""
    frame.loc[30, "work_minutes"] = "-2"
    frame.to_csv(tickets, index=False)
    export = read_export(tickets)
    assert len(export.tickets) == len(frame) - 4
    assert export.skipped_summary() == (
        "4 rows skipped: 3 in tickets.csv, column 'created': no created date (rows 5, 9, 22); "
        "1 in tickets.csv, column 'work_minutes': is a negative duration (rows 32)"
    )


def test_a_column_mostly_unreadable_is_a_file_problem(tmp_path: Path) -> None:
    tickets, _ = write(tmp_path, "generic")
    frame = pd.read_csv(tickets, dtype=str, keep_default_na=False)
    frame["created"] = "yesterday"
    frame.to_csv(tickets, index=False)
    with pytest.raises(ExportError) as err:
        read_export(tickets)
    assert message(err).startswith("tickets.csv:row 2: column 'created': 'yesterday' is not a date")
    assert f"(and {len(frame) - 1} more rows like it" in message(err)


def test_a_column_map_key_that_is_not_canonical_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("ticket: number\ncreatd: opened_at\n")
    with pytest.raises(ExportError) as err:
        load_column_map(path)
    assert message(err) == "map.yaml: column 'creatd': not a canonical ticket column (did you mean 'created'?)"


# -- column maps for other helpdesks ---------------------------------------------------------------------------
def unmap(tickets: pd.DataFrame, cmap: ColumnMap, attr: str) -> pd.DataFrame:
    """The canonical tickets written as the helpdesk of ``cmap`` would (its names, values, times, units)."""
    out = pd.DataFrame()
    for canonical, column in cmap.tickets.items():
        values = tickets[attr if canonical.startswith("attr_") else canonical]
        if canonical in cmap.values:
            inverse: dict[str, str] = {}
            for export, mine in cmap.values[canonical].items():
                inverse.setdefault(mine, export)
            values = values.map(lambda v, inv=inverse: inv.get(v, v))
        if str(values.dtype).startswith("datetime"):
            local = values.dt.tz_convert(cmap.timezone).dt.strftime(cmap.timestamp_format)
            values = local.astype(object).where(values.notna(), "")
        elif cmap.units.get(canonical) == "hh:mm:ss":
            s = (values * 60).round().astype(int)
            values = (s // 3600).map("{:02d}".format) + ":" + (s // 60 % 60).map("{:02d}".format) + ":"
            values += (s % 60).map("{:02d}".format)
        out[column] = values
    return out


@pytest.mark.parametrize("helpdesk", ["servicenow", "freshdesk"])
def test_shipped_column_maps_read_an_export_renamed_accordingly(tmp_path: Path, helpdesk: str) -> None:
    scenario, records = one_day()
    tickets, events = canonical_run([records], scenario)
    cmap = load_column_map(DATA / "maps" / f"{helpdesk}.yaml")
    path = tmp_path / f"{helpdesk}.csv"
    unmap(tickets, cmap, "attr_credit_amount").to_csv(path, index=False)
    audit = None
    if cmap.events:
        kept = events[events["status"] != "reopened"]  # ServiceNow has no state code for it
        field = {v: k for k, v in cmap.values["kind"].items()}
        state = {v: k for k, v in cmap.values["status"].items()}
        audit = tmp_path / "sys_audit.csv"
        pd.DataFrame(
            {
                "documentkey": kept["ticket"],
                "sys_created_on": kept["time"].dt.tz_convert(cmap.timezone).dt.strftime(cmap.timestamp_format),
                "fieldname": kept["kind"].map(field),
                "newvalue": np.where(kept["kind"] == "status_change", kept["status"].map(state), kept["group"]),
            }
        ).to_csv(audit, index=False)
    export = read_export(path, audit, column_map=DATA / "maps" / f"{helpdesk}.yaml")
    assert export.skipped == []
    got = export.tickets
    for column in ("ticket", "created", "channel", "category", "priority", "segment", "group", "solved"):
        assert got[column].equals(tickets[column]), column
    assert np.abs(got["work_minutes"] - tickets["work_minutes"]).max() <= TOLERANCE
    assert np.allclose(got["attr_refund_amount"], tickets["attr_credit_amount"], equal_nan=True)
    if helpdesk == "freshdesk":
        assert got["first_reply"].equals(tickets["first_reply"]) and (got["reopens"] == 0).all()
    else:
        assert got["first_reply"].isna().all() and got["reopens"].equals(tickets["reopens"])
        assert export.events is not None
        want = events[events["status"] != "reopened"]  # grouped by ticket in the ticket table's order
        assert list(export.events["kind"]) == list(want["kind"])
        assert list(export.events["status"]) == list(want["status"])


# -- the shipped examples --------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["generic", "zendesk"])
def test_shipped_example_reads_cleanly(fmt: str) -> None:
    folder = DATA / f"example_{fmt}"
    export: Export = read_export(folder / "tickets.csv.gz", folder / "events.csv.gz", fmt=fmt)
    assert export.skipped == []
    assert len(export.tickets) == 36040 and export.events is not None and len(export.events) == 122389
    assert set(export.tickets["channel"]) == {"phone", "chat", "email"}


def test_shipped_examples_stay_small() -> None:
    sizes = [p.stat().st_size for p in DATA.rglob("*") if p.is_file()]
    assert sum(sizes) < 5_000_000
