"""The engine's errors: what a plan raises when it cannot return a plan.

Back ends raise `InfeasibleModel` (a bare "no feasible point"); `optimizer.planning` turns it into an
`InfeasibleScenarioError` with the explanation of `optimizer.diagnostics`, once, whichever back end
found it. `SolveError` is any other stop without an optimum (time limit, numerical trouble).
"""

from __future__ import annotations

from models.errors import CapplanError


class SolveError(CapplanError):
    """The solver stopped without an optimal plan (time limit, numerical trouble, ...)."""


class InfeasibleModel(SolveError):
    """A back end found the LP infeasible; the plan level explains why (never shown to a user as such)."""


class InfeasibleScenarioError(CapplanError):
    """No plan satisfies every constraint; `conflicts` names the constraints in conflict."""

    def __init__(self, message: str, conflicts: list[str]):
        self.conflicts = conflicts
        super().__init__(message + "".join(f"\n  - {c}" for c in conflicts))
