"""The scenario reference is generated from the schema: the docs page and ``schema --markdown`` show exactly it.

The docs site's page (reference/scenario.md, written at build time by docs/gen_reference.py from
``sim.reference_pages.scenario_page``) must hold a table for every record of the schema with a row for
every field, its meaning taken from the field's description.
"""

import re

from sim.cli import main
from sim.reference_pages import scenario_page
from sim.scenario.reference import SECTIONS, markdown


def test_the_docs_scenario_page_has_a_table_row_for_every_field_of_every_record():
    page = scenario_page()
    assert markdown(level=2) in page
    sections = dict(re.findall(r"\n## `([^`]+)`\n(.*?)(?=\n## |\Z)", page, re.S))
    assert list(sections) == [title for title, _ in SECTIONS]
    for title, model in SECTIONS:
        for name, field in model.model_fields.items():
            row = next((r for r in sections[title].splitlines() if r.startswith(f"| `{field.alias or name}` |")), None)
            assert row is not None, f"{title}.{name} has no row"
            assert (field.description or "").replace("|", "/") in row


def test_schema_markdown_prints_the_generated_reference(capsys):
    assert main(["schema", "--markdown"]) == 0
    assert capsys.readouterr().out == markdown()


def test_every_scenario_field_has_a_meaning_in_the_reference():
    missing = [
        f"{title}.{name}"
        for title, model in SECTIONS
        for name, field in model.model_fields.items()
        if not field.description
    ]
    assert missing == []
