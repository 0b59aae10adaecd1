"""What the app hands over: the variant as a scenario file, and the comparison as the HTML report.

The variant's YAML is the base file's document with the run's fixed overrides, the variant's
overrides, its seed and replications applied, so ``run_sim.py run variant.yaml`` simulates
exactly the variant the page shows. The report is the same folder and ``report.html`` that
``run_sim.py compare --report`` writes, with both runs' tables kept for the flow diagrams.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from sim.app.whatif import Answer, Question
from sim.demo import write_runs
from sim.experiments.compare import write_comparison
from sim.experiments.results import RUNS
from sim.reports.html import write_report
from sim.scenario.overrides import apply_overrides
from sim.scenario.variants import read_document


def variant_yaml(question: Question) -> str:
    """The variant as a scenario YAML, headed by where it comes from and what it changes."""
    document = read_document(question.source)
    changes = [
        *question.fixed,
        *question.variant,
        f"seed={question.seed}",
        f"replications={question.replications}",
    ]
    data = apply_overrides(document.data, changes, str(question.source))
    data["name"] = f"{data.get('name', Path(question.source).stem)}_variant"
    header = [f"# A variant of {question.source}, written by the escalation-sim what-if app.", "# Its changes:"]
    header += [f"#   {change}" for change in changes]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None)
    return "\n".join(header) + "\n" + body


def write_answer_report(answer: Answer, out: str | Path = "results") -> Path:
    """Write the comparison folder (with both runs) and its ``report.html``; return the report's path."""
    folder = write_comparison(answer.comparison, out)
    write_runs(answer.runs, folder / RUNS)
    return write_report(folder)
