"""Experiments: many replications, run anywhere, with honest intervals.

Owns executors (in-process, local processes, Dask), replications on common random numbers,
paired comparisons, sweep files and their runs (grids and quasi-random designs), resumable
atomic outputs and reading results folders back. It imports ``sim.analysis`` and the layers
below; it draws no pictures.
"""
