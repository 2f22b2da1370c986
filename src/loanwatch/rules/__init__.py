"""Early-warning rules (预警): the signal catalogue, its calculations and the alerts."""
