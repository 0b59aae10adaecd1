"""Core: the vocabulary every other layer speaks, with no knowledge of support desks.

Owns time units and durations, business calendars, probability distributions (which know their
own mean and variance), atomic file writes and the package version. It imports nothing else of
``sim``; everything else may import it.
"""
