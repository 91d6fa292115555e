"""Synthetic data shared by the tests and the benchmark (bench/), so neither imports the other."""
