"""The Reference part of the docs site, generated from the code so that it cannot drift from it.

``docs/generate.py`` (run by ``docs/conf.py`` before every Sphinx build) writes each of ``PAGES``:
the scenario schema (``sim.scenario.reference``), the KPI registry with its definitions
(``sim.analysis.kpi_docs``), the command line from its argparse parser (``sim.cli.build_parser``)
and the Python API page, whose autodoc blocks follow the facade's names (``sim.__all__``).
tests/test_docs_reference.py checks the pages without building the site.
"""

from __future__ import annotations

import argparse
import inspect
import re
from collections.abc import Callable

SCENARIO_INTRO = """# Scenario file

A scenario is one YAML file that describes a support desk: its channels and their demand, the
categories of tickets, the teams and their rosters, routing, SLA policies, escalation rules and
what to report. `load_scenario` (or any command that takes a scenario) reads it, checks every field
against the schema below and reports each problem with its file, line and field path.

Any field can be changed for one run without editing the file: `--set PATH=VALUE` addresses it by
its path, with named list items by name and unnamed ones by index, e.g.
`--set teams.tier1.shifts[0].agents=11` or `--set horizon=3d` (repeatable; `validate` accepts it
too). `python run_sim.py schema` prints the JSON Schema of the file, for editor autocompletion and
checking; `python run_sim.py schema --markdown` prints the tables of this page.

"""

KPI_INTRO = """# KPIs

Every KPI is computed per replication from the records of the run, then summarised across
replications as a mean with a 95 % confidence interval (a KPI with no data in a replication, say no
P1 ticket arrived, is left out of that replication's average). A KPI's name is a base name, optionally
followed by `.` and a detail: `service_level.phone`, `utilisation.tier1`,
`first_response_attainment.P1`, `escalation_reason.timeout`. The *suffixes* column says which
details a base takes; `--kpi` and a sweep's `kpis:` reject a name the scenario cannot produce.

**Counted tickets** are those that arrived after the warm-up (a ticket of the starting backlog counts
when there is no warm-up). Tallies (waits, resolution times, rates) are over counted tickets;
levels (queue length, agents on duty, utilisation) are time-weighted over the window from the end of
the warm-up to the horizon. Some KPIs exist only in scenarios that use a feature (a `patience`,
`sla_policies`, escalation, agent groups, shrinkage, callbacks …); the definition says which.

"""

API_INTRO = """# Python API

`import sim` gives the notebook API below; each name is imported on first use, so `import sim`
stays light. The layers (`sim.core` → `sim.scenario` → `sim.engine` → `sim.analysis` →
`sim.experiments` → `sim.optimiser` | `sim.calibration` → `sim.reports`) are importable on their own.

```python

scenario = sim.load_scenario("scenarios/baseline.yaml")
result = sim.run(scenario, replications=5)
result.summary
```

"""

API_GROUPS: list[tuple[str, list[str]]] = [
    ("Scenarios", ["load_scenario", "Scenario", "ScenarioError"]),
    ("Running", ["run", "RunResult", "run_replication", "RunRecords", "PrecisionTarget"]),
    ("Comparing and sweeping", ["compare", "Comparison", "sweep", "SweepResult"]),
    ("Executors", ["LocalExecutor", "SerialExecutor", "DaskExecutor"]),
    (
        "Optimising staffing",
        ["optimise", "OptimiseResult", "load_goals", "default_goals", "Goals", "write_optimisation"],
    ),
    ("Calibrating from an export", ["read_export", "calibrate", "Calibration", "calibrated_scenario"]),
]
"""The API page's sections; tests/test_docs_reference.py checks they hold every name of ``sim.__all__``."""


def scenario_page() -> str:
    """The scenario file reference: an introduction, then the schema's tables (``##`` per record)."""
    from sim.scenario.reference import markdown

    return SCENARIO_INTRO + markdown(level=2)


def kpi_page() -> str:
    """The KPI reference: an introduction, the units, then each group's KPIs with their definitions."""
    from sim.analysis.kpi_docs import markdown

    return KPI_INTRO + markdown()


def api_page() -> str:
    """The Python API: each facade name documented from its docstring by Sphinx's autodoc, in groups."""
    import inspect

    import sim

    parts = [API_INTRO.rstrip("\n")]
    for title, names in API_GROUPS:
        parts.append(f"## {title}")
        for name in names:
            kind = "autoclass" if inspect.isclass(getattr(sim, name)) else "autofunction"
            members = "\n   :members:" if kind == "autoclass" else ""
            parts.append(f"```{{eval-rst}}\n.. {kind}:: sim.{name}{members}\n```")
    return "\n\n".join(parts) + "\n"


def cli_page(parser: argparse.ArgumentParser | None = None) -> str:
    """The command line: the program's overview, then per subcommand its usage, arguments and examples."""
    if parser is None:
        from sim.cli import build_parser

        parser = build_parser()
    commands = _subcommands(parser)
    parts = [
        "# Command line",
        f"`python run_sim.py COMMAND …` (or the installed `{parser.prog}`). "
        + _prose(_text(parser.description, parser)),
        "| command | what it does |\n|---|---|\n"
        + "\n".join(f"| [`{name}`](#{name}) | {_prose(help)} |" for name, (help, _) in commands.items()),
        *_epilog(parser),
        _exit_codes(),
    ]
    for name, (help, sub) in commands.items():
        parts.append(f"## `{name}`")
        parts.append(f"*{_prose(help)}*")
        if sub.description:
            parts.append(_prose(_text(sub.description, sub)))
        parts.append(f"```text\n{sub.format_usage().strip()}\n```")
        parts.append(_arguments(sub))
        parts.extend(_epilog(sub))
    return "\n\n".join(parts) + "\n"


def _exit_codes() -> str:
    """The paragraph of ``sim.cli``'s docstring that lists the exit codes."""
    import sim.cli

    (paragraph,) = (p for p in inspect.cleandoc(sim.cli.__doc__ or "").split("\n\n") if p.startswith("Exit codes"))
    return _prose(paragraph.replace("``", ""))


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, tuple[str, argparse.ArgumentParser]]:
    """Each subcommand's name: its one-line help (expanded as ``--help`` shows it) and its parser."""
    (action,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    formatter = parser._get_formatter()
    helps = {choice.dest: formatter._expand_help(choice) for choice in action._choices_actions}
    return {name: (helps.get(name, ""), sub) for name, sub in action.choices.items()}


def _text(text: str | None, parser: argparse.ArgumentParser) -> str:
    """A description or an epilog as argparse prints it: ``%(prog)s`` filled in when present."""
    text = text or ""
    return text % {"prog": parser.prog} if "%(prog)" in text else text


def _arguments(parser: argparse.ArgumentParser) -> str:
    """The table of a parser's arguments: name (with its metavar), default and help."""
    formatter = parser._get_formatter()
    exclusive = {
        id(action): [a for a in group._group_actions if a is not action]
        for group in parser._mutually_exclusive_groups
        for action in group._group_actions
    }
    rows = ["| argument | default | meaning |", "|---|---|---|"]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
            continue
        if action.option_strings:
            value = "" if action.nargs == 0 else " " + formatter._format_args(action, action.dest.upper())
            name = ", ".join(f"`{option}{value}`" for option in action.option_strings)
        else:
            name = f"`{formatter._format_args(action, action.dest)}`"
        meaning = _prose(formatter._expand_help(action) if action.help else "")
        others = exclusive.get(id(action), [])
        if others:
            meaning += " (not with " + ", ".join(f"`{a.option_strings[0]}`" for a in others) + ")"
        rows.append(f"| {name} | {_default(action)} | {meaning} |")
    return "\n".join(rows) if len(rows) > 2 else "No arguments besides `-h`/`--help`."


def _default(action: argparse.Action) -> str:
    """An argument's default, when it has one worth showing (not None, empty, or a flag's False)."""
    default = action.default
    if default in (None, "", []) or default is argparse.SUPPRESS or (action.nargs == 0 and not default):
        return ""
    return f"`{default}`"


def _epilog(parser: argparse.ArgumentParser) -> list[str]:
    """A parser's epilog: its example commands as a code block, any other paragraph as prose."""
    out = []
    for part in _text(parser.epilog, parser).split("\n\n"):
        lines = part.splitlines()
        if lines and lines[0].rstrip(":").lower() == "examples":
            out.append("**Examples**")
            out.append("```bash\n" + "\n".join(line.strip() for line in lines[1:]) + "\n```")
        elif part.strip():
            out.append(_prose(part))
    return out


_MARKUP = re.compile(r"([\\`*_\[\]<>|&])")


def _prose(text: str) -> str:
    """Help text as Markdown that shows it literally: one line, with Markdown and HTML characters escaped."""
    escaped = _MARKUP.sub(
        lambda m: {"<": "&lt;", ">": "&gt;", "&": "&amp;", "|": "&#124;"}.get(m[1], "\\" + m[1]), text
    )
    return " ".join(escaped.split())


PAGES: dict[str, Callable[[], str]] = {
    "scenario.md": scenario_page,
    "kpis.md": kpi_page,
    "cli.md": cli_page,
    "api.md": api_page,
}
"""Every generated page of the site, by its file name under docs/reference/generated/ (``docs/generate.py``)."""
