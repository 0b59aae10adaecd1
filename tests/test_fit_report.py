"""The fit report: one self-contained page that shows each fit of an export beside its data.

The example export (``data/example_generic``, simulated from ``scenarios/tiered.yaml``) gives the full
page; trimmed copies of it give the pages of poorer exports: no event file, a channel with one
ticket, optional columns missing, a day with a surge.
"""

from __future__ import annotations

import base64
import io
import re
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from PIL import Image

from sim.calibration.calibrate import calibrate
from sim.calibration.export import generic_frames
from sim.calibration.export_schema import Export
from sim.calibration.read import read_export
from sim.reports.fit_report import write_fit_report

EXAMPLE = ROOT / "data" / "example_generic"
SECTIONS = ["not-fitted", "arrivals", "handle-times", "patience", "escalation", "mixes", "replies-reopens"]


@pytest.fixture(scope="module")
def example():
    """The example export, read once."""
    return read_export(EXAMPLE / "tickets.csv.gz", EXAMPLE / "events.csv.gz")


@pytest.fixture(scope="module")
def page(example, tmp_path_factory) -> str:
    """The fit report of the whole example export."""
    sources = {"tickets": "tickets.csv.gz", "events": "events.csv.gz"}
    path = write_fit_report(calibrate(example, "UTC", sources), tmp_path_factory.mktemp("fit") / "fit.html")
    return path.read_text(encoding="utf-8")


def images(html: str) -> list[Image.Image]:
    """Every embedded picture, decoded (a broken one raises)."""
    found = []
    for data in re.findall(r'<img src="data:image/png;base64,([^"]+)"', html):
        image = Image.open(io.BytesIO(base64.b64decode(data)))
        image.load()
        found.append(image)
    return found


def not_fitted_items(page: str) -> list[str]:
    """The items of the "What could not be fitted" list, as text."""
    section = re.search(r'<section class="note" id="not-fitted">(.*?)</section>', page, re.S)
    assert section is not None
    return [
        unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in re.findall(r"<li>(.*?)</li>", section.group(1), re.S)
    ]


def small_export(example: Export, tickets: int = 3000) -> pd.DataFrame:
    """The first tickets of the example (by creation), as the canonical ticket table."""
    return example.tickets.sort_values("created").head(tickets).reset_index(drop=True)


def test_the_page_has_every_section_and_every_picture_decodes(page):
    for section in SECTIONS:
        assert f'id="{section}"' in page, section
    pictures = images(page)
    assert page.count("<img") == len(pictures) == 5  # profile, daily arrivals, QQ, patience, flow
    assert all(image.format == "PNG" and image.width > 600 for image in pictures)
    for key in ("profile", "daily", "qq", "patience", "flow"):
        assert f'id="plot-{key}"' in page
    assert "the pictures are in this page only" in page


def test_the_header_names_the_files_the_period_on_the_local_clock_and_the_tickets(page):
    assert "tickets.csv.gz" in page and "events.csv.gz" in page
    assert "Mon 2 Mar 2026 00:00 – Mon 30 Mar 2026 00:00 (UTC), 4.0 weeks" in page
    assert "tickets: <b>36,040</b>" in page
    assert "no rows skipped" in page


def test_the_naive_patience_mean_is_shown_below_the_censored_one(page):
    rows = re.findall(
        r'<tr><td>(\w+)</td>.*?data-minutes="([0-9.]+)".*?class="naive nowrap" data-minutes="([0-9.]+)">([^<]+)<',
        page,
        re.S,
    )
    assert [r[0] for r in rows] == ["chat", "phone"]
    for channel, censored, naive, shown in rows:
        assert float(naive) < float(censored) / 2, channel
        assert shown.endswith("m")
    phone = {r[0]: float(r[1]) for r in rows}["phone"]
    assert phone == pytest.approx(5.0, abs=0.5)  # the scenario's phone patience: exponential, mean 5 minutes
    assert "naive mean of abandoners is biased low, only the impatient abandon" in page


def test_the_notes_of_paths_and_patience_are_in_the_could_not_be_fitted_list(page):
    items = not_fitted_items(page)
    assert any(i.startswith("escalation — billing: 1869 of 8732 tickets start at tier1") for i in items)
    assert any(i.startswith("patience — phone:") and "gave up after a first answer" in i for i in items)


def test_an_export_without_events_names_the_fits_it_could_not_make(example, tmp_path):
    tickets = small_export(example)
    calibration = calibrate(Export(tickets, None), "UTC", {"tickets": "tickets.csv"})
    html = write_fit_report(calibration, tmp_path / "fit.html").read_text(encoding="utf-8")
    items = not_fitted_items(html)
    assert "escalation — all: no group_change events: escalation paths and resolve probabilities not fitted" in items
    assert any(i.startswith("customer replies — all: no 'pending' status changes") for i in items)
    assert "events file: <b>none</b>" in html
    assert 'id="plot-flow"' not in html  # nothing to draw: no picture, not an empty one
    assert "No escalation paths were fitted" in html
    assert html.count("<img") == len(images(html)) == 4


def test_a_channel_with_one_ticket_still_renders_and_says_why_it_has_no_profile(example, tmp_path):
    tickets = small_export(example)
    lone = tickets.iloc[[0]].assign(ticket="fax-1", channel="fax")
    calibration = calibrate(Export(pd.concat([tickets, lone], ignore_index=True), None), "UTC")
    html = write_fit_report(calibration, tmp_path / "fit.html").read_text(encoding="utf-8")
    assert "arrivals — fax: only 1 arrivals (need 24)" in not_fitted_items(html)
    assert "<tr><td>fax</td><td>1</td>" in html  # its arrivals and its mixes are still listed
    images(html)


def test_an_export_missing_optional_columns_renders_without_a_traceback(example, tmp_path):
    tickets, _ = generic_frames(small_export(example, 800), example.events.iloc[:0])
    thin = tickets.drop(columns=["segment", "first_reply", "abandoned", "abandoned_at", "work_minutes", "reopens"])
    thin.to_csv(tmp_path / "tickets.csv", index=False)
    calibration = calibrate(read_export(tmp_path / "tickets.csv"), "Europe/London", {"tickets": "tickets.csv"})
    html = write_fit_report(calibration, Path(tmp_path / "fit.html")).read_text(encoding="utf-8")
    items = not_fitted_items(html)
    assert "handle times — all: no work_minutes in the tickets or the events: handle times not fitted" in items
    assert any(i.startswith("patience — all: no abandoned contacts") for i in items)
    assert "(Europe/London)" in html
    assert html.count("<img") == len(images(html)) == 2  # the two arrival pictures


def test_a_surge_day_is_marked_and_listed_with_its_count_expectation_and_z(example, tmp_path):
    tickets = example.tickets
    day = tickets[(tickets["channel"] == "phone") & (tickets["created"].dt.strftime("%Y-%m-%d") == "2026-03-11")]
    extra = day.assign(ticket="surge-" + day["ticket"])  # the day's calls twice over
    calibration = calibrate(Export(pd.concat([tickets, extra, extra], ignore_index=True), None), "UTC")
    (surge,) = calibration.arrivals["phone"].surges
    html = write_fit_report(calibration, tmp_path / "fit.html").read_text(encoding="utf-8")
    table = re.search(r'<table class="fit" id="surge-table">(.*?)</table>', html, re.S)
    assert table is not None
    cells = re.findall(r"<td>([^<]*)</td>", table.group(1))
    expected = [f"{surge.count:,}", f"{surge.expected:,.1f}", f"{surge.z:.1f}", f"×{surge.multiplier:.2f}"]
    assert cells == ["phone", "Wed 11 Mar 2026", *expected]
    assert surge.count == 3 * len(day)


def test_a_last_contact_who_abandons_after_everyone_else_does_not_reject_exponential_patience():
    # Found reading the report: the example's chat patience (exponential, mean 8 min) came out empirical
    # because its longest wait, 20.8 min, was an abandonment. There the Kaplan-Meier curve drops to 0 with
    # a Greenwood error of 0 (one contact at risk), so any exponential missed it by exp(-20.8 / 8) = 0.073.
    from sim.calibration.fit_patience import fit_patience_sample

    rng = np.random.default_rng(7)
    patience, answer = rng.exponential(8.0, 4000), rng.exponential(4.0, 4000)
    waits, abandoned = np.minimum(patience, answer), patience < answer
    waits = np.append(waits, waits.max() + 1.0)  # the longest wait of all ends in a hang-up
    abandoned = np.append(abandoned, True)
    fit = fit_patience_sample(waits, abandoned, "chat", "test")
    assert fit.family == "exponential", fit.notes
    assert fit.mean == pytest.approx(8.0, rel=0.1)
