"""Observation of the hub's own processes."""
