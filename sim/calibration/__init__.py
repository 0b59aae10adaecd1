"""Calibration: read a helpdesk's ticket export into canonical tables, fit a scenario to it, back-test it."""
