"""The staffing and shift optimiser: the cheapest roster that meets service goals across the escalation network."""
