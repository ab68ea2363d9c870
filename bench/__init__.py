"""Benchmark harness: `python -m bench --records N` (see bench/README.md)."""
