"""Calibration: fit a scenario from a helpdesk ticket export, then back-test it."""
