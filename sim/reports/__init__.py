"""Reports: what people read: terminal tables, plots and the self-contained HTML report.

Owns formatting of values with units, the KPI tables, every matplotlib figure and the Jinja2
templates. It imports ``sim.experiments`` and the layers below. Heavy libraries (matplotlib,
Jinja2) are imported by its modules only, so ``import sim`` stays light.
"""
