"""Diagnostics of a scenario that has no plan: which constraints are in conflict."""

from optimizer.diagnostics.infeasibility import explain_infeasibility, unreachable_agreements

__all__ = ["explain_infeasibility", "unreachable_agreements"]
