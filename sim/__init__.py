"""escalation-sim: a discrete-event simulator of customer-support operations.

The notebook API: ``load_scenario`` reads and validates a YAML scenario, ``run`` simulates its
replications and returns per-ticket, per-event and level tables with KPI summaries; ``compare``
runs scenarios on common random numbers with paired differences; ``sweep`` runs a sweep file.
"""

__version__ = "0.1.0"

from sim.compare import compare  # noqa: E402
from sim.experiment import RunResult, run  # noqa: E402
from sim.loader import ScenarioError, load_scenario  # noqa: E402
from sim.model import run_replication  # noqa: E402
from sim.sweep import sweep  # noqa: E402

__all__ = ["RunResult", "ScenarioError", "compare", "load_scenario", "run", "run_replication", "sweep", "__version__"]
