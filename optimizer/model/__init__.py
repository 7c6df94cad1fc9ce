"""The LP as data: a scenario's changes, its sparse sets (`instance`), its formulation and matrix."""
