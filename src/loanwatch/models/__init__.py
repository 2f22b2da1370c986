"""Behavioural risk models (行为评分): PD models behind one interface, their validation,
calibration, explanations and monitoring."""
