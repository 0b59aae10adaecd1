"""Staffing optimiser: from per-interval requirements to a roster of shifts (issue 14)."""
