"""What column generation reports: its rounds, its log, its optimum, and how it can stop short.

Kept apart from `optimizer.solvers.column_generation` (the algorithm) so that each stays small.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class MasterStatus:
    """Outcome of `RestrictedMaster.solve` other than optimal."""

    INFEASIBLE = "infeasible"
    TIME_LIMIT = "time_limit"


class MasterError(RuntimeError):
    """HiGHS stopped without an optimum; `status` is a `MasterStatus` value or HiGHS's own status text."""

    def __init__(self, status: str, message: str):
        self.status = status
        super().__init__(message)


@dataclass
class PricingRound:
    """One solve of the restricted master and the pricing that followed it."""

    objective: float
    seconds: float
    simplex_iterations: int
    columns: int  # flow columns in the master when solved
    rows: int
    columns_added: int = 0
    rows_added: int = 0
    min_reduced_cost: float = 0.0


@dataclass
class ColumnGenerationLog:
    """What column generation did: one entry per solve."""

    rounds: list[PricingRound] = field(default_factory=list)
    generated_columns: int = 0  # flow columns in the full LP
    fallback_to_full: bool = False
    parts: int = 0  # independent parts solved first without linking rows (0: none)
    parts_columns_added: int = 0  # columns their column generations priced in

    @property
    def columns_added(self) -> int:
        return self.parts_columns_added + sum(r.columns_added for r in self.rounds)

    def summary(self) -> dict:
        last = self.rounds[-1] if self.rounds else None
        return {
            "iterations": len(self.rounds),
            "columns_added": self.columns_added,
            "rows_added": sum(r.rows_added for r in self.rounds),
            "flow_columns_in_master": last.columns if last else 0,
            "flow_columns_in_full_lp": self.generated_columns,
            "fell_back_to_full_lp": self.fallback_to_full,
            "parts": self.parts,
            "rounds": [r.__dict__ for r in self.rounds],
        }


@dataclass
class MasterSolution:
    """Values of an optimal master, over the full LP's numbering (zero for columns and rows left out)."""

    objective: float
    col_value: np.ndarray
    row_dual: np.ndarray
    highs_seconds: float
    simplex_iterations: int
    log: ColumnGenerationLog
