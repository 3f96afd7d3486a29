"""Benchmarks: scripts run by hand against a dedicated database, never part of the test suite."""
