"""Benchmarks for `make bench`. Each writes its figures into docs/benchmarks.md."""
