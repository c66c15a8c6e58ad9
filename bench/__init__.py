"""Benchmarks for the numbers in DESIGN.md §7: `make bench` (bench/run.py) runs them."""
