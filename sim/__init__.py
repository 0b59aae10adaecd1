"""escalation-sim: a discrete-event simulator of customer-support operations.

The notebook API: ``load_scenario`` reads and validates a YAML scenario; ``run`` simulates its
replications and returns per-ticket, per-event and level tables with KPI summaries;
``run_replication`` simulates one; ``compare`` runs scenarios on common random numbers with paired
differences; ``sweep`` runs a sweep file; ``optimise`` finds the cheapest roster meeting the goals
that ``load_goals`` reads; ``read_export`` reads a helpdesk export, ``calibrate`` fits it and
``calibrated_scenario`` writes the fits as scenario YAML. The layers below (``core`` → ``scenario`` →
``engine`` → ``analysis`` → ``experiments`` → ``optimiser`` | ``calibration`` → ``reports``) are
importable on their own.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sim.core.version import __version__

if TYPE_CHECKING:  # the names below are imported when first used, so `import sim` stays light
    from sim.analysis.precision import PrecisionTarget
    from sim.calibration.calibrate import Calibration, calibrate
    from sim.calibration.read import read_export
    from sim.calibration.write_scenario import calibrated_scenario
    from sim.engine import RunRecords, run_replication
    from sim.experiments.compare import Comparison, compare
    from sim.experiments.executors import DaskExecutor, LocalExecutor, SerialExecutor
    from sim.experiments.replications import RunResult, run
    from sim.experiments.sweeps import SweepResult, sweep
    from sim.optimiser.goal_checks import default_goals, load_goals
    from sim.optimiser.goals import Goals
    from sim.optimiser.optimise import OptimiseResult, optimise
    from sim.optimiser.outputs import write_optimisation
    from sim.scenario.errors import ScenarioError
    from sim.scenario.loader import load_scenario
    from sim.scenario.spec import Scenario

_HOME = {
    "PrecisionTarget": "sim.analysis.precision",
    "Calibration": "sim.calibration.calibrate",
    "calibrate": "sim.calibration.calibrate",
    "read_export": "sim.calibration.read",
    "calibrated_scenario": "sim.calibration.write_scenario",
    "RunRecords": "sim.engine",
    "run_replication": "sim.engine",
    "Comparison": "sim.experiments.compare",
    "compare": "sim.experiments.compare",
    "DaskExecutor": "sim.experiments.executors",
    "LocalExecutor": "sim.experiments.executors",
    "SerialExecutor": "sim.experiments.executors",
    "RunResult": "sim.experiments.replications",
    "run": "sim.experiments.replications",
    "SweepResult": "sim.experiments.sweeps",
    "sweep": "sim.experiments.sweeps",
    "Goals": "sim.optimiser.goals",
    "default_goals": "sim.optimiser.goal_checks",
    "load_goals": "sim.optimiser.goal_checks",
    "OptimiseResult": "sim.optimiser.optimise",
    "optimise": "sim.optimiser.optimise",
    "write_optimisation": "sim.optimiser.outputs",
    "ScenarioError": "sim.scenario.errors",
    "load_scenario": "sim.scenario.loader",
    "Scenario": "sim.scenario.spec",
}
"""Where each name of the facade lives; it is imported on first use (PEP 562), so that the command
line's ``--help`` and ``validate`` do not pay for SimPy, pandas and SciPy."""


_LAYERS = ("core", "scenario", "engine", "analysis", "experiments", "optimiser", "calibration", "reports")


def __getattr__(name: str) -> Any:
    """Import a facade name (or a layer, ``sim.engine``) from its module on first use."""
    if name in _LAYERS:
        return importlib.import_module(f"sim.{name}")
    if name not in _HOME:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The facade's names, imported or not (for completion in notebooks)."""
    return sorted([*globals(), *_HOME])


__all__ = [
    "Calibration",
    "Comparison",
    "DaskExecutor",
    "Goals",
    "LocalExecutor",
    "OptimiseResult",
    "PrecisionTarget",
    "RunRecords",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SerialExecutor",
    "SweepResult",
    "__version__",
    "calibrate",
    "calibrated_scenario",
    "compare",
    "default_goals",
    "load_goals",
    "load_scenario",
    "optimise",
    "read_export",
    "run",
    "run_replication",
    "sweep",
    "write_optimisation",
]
