"""escalation-sim: a discrete-event simulator of customer-support operations.

The notebook API: ``load_scenario`` reads and validates a YAML scenario; ``run`` simulates its
replications and returns per-ticket, per-event and level tables with KPI summaries;
``run_replication`` simulates one; ``compare`` runs scenarios on common random numbers with paired
differences; ``sweep`` runs a sweep file. The layers below (``core`` → ``scenario`` → ``engine`` →
``analysis`` → ``experiments`` → ``reports``) are importable on their own.
"""

from sim.analysis.precision import PrecisionTarget
from sim.core.version import __version__
from sim.engine import RunRecords, run_replication
from sim.experiments.compare import Comparison, compare
from sim.experiments.executors import DaskExecutor, LocalExecutor, SerialExecutor
from sim.experiments.replications import RunResult, run
from sim.experiments.sweeps import SweepResult, sweep
from sim.scenario.loader import ScenarioError, load_scenario
from sim.scenario.spec import Scenario

__all__ = [
    "Comparison",
    "DaskExecutor",
    "LocalExecutor",
    "PrecisionTarget",
    "RunRecords",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SerialExecutor",
    "SweepResult",
    "__version__",
    "compare",
    "load_scenario",
    "run",
    "run_replication",
    "sweep",
]
