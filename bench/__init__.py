"""Benchmarks: ``make bench`` runs ``bench/run.py``; results go to bench/results/."""
