"""Benchmarks (print figures)."""
