#!/usr/bin/env python3
"""Command-line entry point: ``python run_sim.py run scenarios/baseline.yaml`` (see ``--help``)."""

import gc
import sys

from sim.cli import main

if __name__ == "__main__":
    code = main()
    # The process ends here: frozen objects are left out of the collection the interpreter runs on
    # its way out, which otherwise walks every object of pandas, SciPy and the run (0.15 CPU-s).
    gc.freeze()
    sys.exit(code)
