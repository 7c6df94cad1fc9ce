"""Back ends that solve a formulation: column generation and the full LP in highspy, and the Pyomo adapter."""
