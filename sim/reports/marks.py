"""Marks shared by the terminal tables and the command line's help (kept free of pandas, so ``--help`` is quick)."""

MARK = "*"
"""Marks a paired difference whose 95 % interval excludes zero."""
MET = "✓"
"""Marks a goal that was met."""
MISSED = "✗"
"""Marks a goal that was missed."""
