"""Benchmarks of capplan: model size and time per stage, Pyomo path against a direct highspy floor."""
