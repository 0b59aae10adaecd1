"""escalation-sim: a discrete-event simulator of customer-support operations.

The notebook API: ``load_scenario`` reads and validates a YAML scenario, ``run`` simulates its
replications and returns per-ticket, per-event and level tables with KPI summaries.
"""

__version__ = "0.1.0"

from sim.experiment import RunResult, run  # noqa: E402
from sim.loader import ScenarioError, load_scenario  # noqa: E402

__all__ = ["RunResult", "ScenarioError", "load_scenario", "run", "__version__"]
