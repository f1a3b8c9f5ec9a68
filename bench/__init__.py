"""Benchmarks, load and fuzzing: every figure in bench/README.md comes from these scripts."""
