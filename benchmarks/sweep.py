"""The warm-start benchmark: a 10-variant capacity-factor sweep, planned cold and warm in one process.

Cold: `plan()` per variant, as ten separate `capplan run`s would (the dataset stays loaded, so only
planning is compared). Warm: `plan_variants()` over the same variants, which re-solves one solver
model from the last basis. Both run in the same process one after the other, so their ratio is
measured under the same load. Every warm objective must equal its cold one to 1e-6 relative.
"""

from __future__ import annotations

import time

from models.scenario import DEFAULT_SCENARIO, Scenario, load_scenario

#: Theatre-day factors of the swept region's hospitals: 10 variants around today's capacity.
FACTORS = (0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15, 1.2, 1.25)
#: The region whose capacity is swept (the one with the longest waits in the default dataset).
SWEPT_REGION = "varmland"


def sweep_variants(base: Scenario, hospitals: list[str], factors=FACTORS) -> list[Scenario]:
    """One scenario per factor: every hospital of `hospitals` at that share of its theatre days."""
    return [
        base.updated(
            name=f"capacity-{factor:g}",
            changes=[
                *base.to_yaml_dict().get("changes", []),
                *({"capacity": {"hospital_id": h, "factor": factor}} for h in hospitals),
            ],
        )
        for factor in factors
    ]


def measure_sweep(weeks: int = 26, strategy: str = "auto", log=print) -> dict:
    """Plan the sweep cold and warm; seconds of each, their ratio and the largest objective difference."""
    from optimizer import dataset_for, plan, plan_variants

    base, _ = load_scenario(DEFAULT_SCENARIO)
    base = base.updated(horizon_weeks=weeks, solve={"strategy": strategy})
    dataset = dataset_for(base)
    hospitals = dataset.hospitals.loc[dataset.hospitals["region_id"] == SWEPT_REGION, "hospital_id"].tolist()
    variants = sweep_variants(base, hospitals)

    started = time.perf_counter()
    cold = []
    for variant in variants:
        cold.append(plan(variant, dataset=dataset))
        log(f"  cold {variant.name}: {cold[-1].seconds['solve']:.2f} s solve ({cold[-1].strategy})")
    cold_seconds = time.perf_counter() - started

    started = time.perf_counter()
    warm = []
    for result in plan_variants(variants, dataset=dataset):
        warm.append(result)
        log(f"  warm {result.scenario.name}: {result.seconds['solve']:.2f} s solve (warm={result.warm_started})")
    warm_seconds = time.perf_counter() - started

    differences = [abs(w.objective - c.objective) / max(1.0, abs(c.objective)) for w, c in zip(warm, cold, strict=True)]
    return {
        "variants": len(variants),
        "weeks": weeks,
        "strategy": cold[0].strategy,
        "cold_seconds": cold_seconds,
        "warm_seconds": warm_seconds,
        "speedup": cold_seconds / max(warm_seconds, 1e-9),
        "cold_solve_seconds": sum(r.seconds["solve"] for r in cold),
        "warm_solve_seconds": sum(r.seconds["solve"] for r in warm),
        "warm_started": sum(r.warm_started for r in warm),
        "max_rel_diff": max(differences),
        "agree": max(differences) <= 1e-6,
    }
