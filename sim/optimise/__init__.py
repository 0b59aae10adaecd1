"""Staffing and shift optimisation: the goals a roster must meet, and (later) the search for the cheapest one."""
