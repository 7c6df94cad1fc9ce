"""Building the Pyomo model of a `Formulation` (see `optimizer.formulation` for the model itself).

Each variable block becomes a Pyomo `Var` named after it (`m.y`, `m.S`, `m.N90`, `m.x`) and each
row family a `Constraint` named after it (`m.theatre_days`, `m.bed_days`, ...), indexed 0..n-1 in
the order of `BuiltModel.rows[family]`, so duals read back by the same names. Rows are built with
one mechanism, `_add_linear_rows`: triplets sorted by row once, each row a `LinearExpression`
made directly from coefficient and variable lists (no operator overloading).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.expr.numeric_expr import LinearExpression

from optimizer.formulation import Family, Formulation, agreement_flow_mask, formulate
from optimizer.instance import Instance

log = logging.getLogger(__name__)

#: A hook that adds constraints to a built model without editing the library (PyPSA style).
ExtraFunctionality = Callable[["BuiltModel"], None]

__all__ = ["BuiltModel", "ExtraFunctionality", "agreement_flow_mask", "build_model"]


@dataclass
class BuiltModel:
    """A Pyomo model, its formulation, and the frames that say what each row index means."""

    model: pyo.ConcreteModel
    instance: Instance
    formulation: Formulation
    variables: dict[str, list] = field(default_factory=dict)

    @property
    def rows(self) -> dict[str, pd.DataFrame]:
        return self.formulation.rows

    @property
    def breach_index(self) -> dict[int, pd.DataFrame]:
        return self.formulation.breach_index

    @property
    def objective_constant(self) -> float:
        return self.formulation.objective_constant


def build_model(
    inst: Instance,
    extra_functionality: ExtraFunctionality | None = None,
    elastic_agreements: bool = False,
    region_limits: dict[str, float] | None = None,
) -> BuiltModel:
    """Build the Pyomo LP of `inst` (arguments as in `optimizer.formulation.formulate`).

    `extra_functionality(built)` may add components before the objective is set.
    """
    formulation = formulate(inst, elastic_agreements=elastic_agreements, region_limits=region_limits)
    with PauseGC():  # hundreds of thousands of expression objects: cyclic GC passes cost ~40 % of the build
        return _materialise(inst, formulation, extra_functionality)


def _materialise(
    inst: Instance, formulation: Formulation, extra_functionality: ExtraFunctionality | None
) -> BuiltModel:
    m = pyo.ConcreteModel(name=inst.name)
    built = BuiltModel(model=m, instance=inst, formulation=formulation)
    for block in formulation.blocks.values():
        var = pyo.Var(range(block.size), domain=pyo.NonNegativeReals)
        m.add_component(block.name, var)
        data = list(var.values())
        # bounds set one by one after construction: ~3x faster than a bounds rule Pyomo calls per index
        for k in np.nonzero(np.isfinite(block.upper))[0].tolist():
            data[k].setub(float(block.upper[k]))
        for k in np.nonzero(block.lower != 0)[0].tolist():
            data[k].setlb(float(block.lower[k]))
        built.variables[block.name] = data
    for family in formulation.families.values():
        _add_linear_rows(built, family)
    if extra_functionality is not None:
        extra_functionality(built)
    _add_objective(built)
    return built


def _add_objective(built: BuiltModel) -> None:
    coefs, variables = [], []
    for block in built.formulation.blocks.values():
        keep = np.nonzero(block.cost)[0]
        coefs.append(block.cost[keep])
        refs = built.variables[block.name]
        variables.extend(refs[i] for i in keep.tolist())
    expr = LinearExpression(
        constant=built.formulation.objective_constant,
        linear_coefs=np.concatenate(coefs).tolist(),
        linear_vars=variables,
    )
    built.model.objective = pyo.Objective(expr=expr, sense=pyo.minimize)


def _add_linear_rows(built: BuiltModel, family: Family) -> None:
    """Add `family` as an indexed Constraint: lower ≤ Σ coef·var ≤ upper per row.

    Rows without any term are skipped (they hold trivially, or are caught before building).
    """
    n_rows = family.size
    row_ids = np.concatenate([t.row for t in family.terms]) if family.terms else np.zeros(0, dtype=int)
    variables = [built.variables[t.block][c] for t in family.terms for c in t.col.tolist()]
    coefficients = np.concatenate([t.coef for t in family.terms]) if family.terms else np.zeros(0)
    order = np.argsort(row_ids, kind="stable")
    starts = np.searchsorted(row_ids[order], np.arange(n_rows + 1))
    ordered_vars = [variables[i] for i in order.tolist()]
    ordered_coefs = coefficients[order].tolist()
    lows, ups, starts = family.lower.tolist(), family.upper.tolist(), starts.tolist()  # Python floats

    def rule(_, i):
        a, b = starts[i], starts[i + 1]
        if a == b:
            return pyo.Constraint.Skip
        expr = LinearExpression(linear_coefs=ordered_coefs[a:b], linear_vars=ordered_vars[a:b])
        low, up = lows[i], ups[i]
        return (None if low == -math.inf else low, expr, None if up == math.inf else up)  # Pyomo: None, not ±inf

    built.model.add_component(family.name, pyo.Constraint(range(n_rows), rule=rule))
