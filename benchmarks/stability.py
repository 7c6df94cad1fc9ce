"""`python -m benchmarks.stability`: how stable a re-plan is, and what stability costs (issue 20).

Plans the default scenario, then re-plans `scenarios/summer-karlstad.yaml` from its proposals at
several change weights (`weights.change`), and prints one row per weight:

- changed: previous proposals (patients) the re-plan does not keep at the same hospital and week
  (moved hospital, moved week, no longer proposed), count and share of the previous proposals;
- moved hospital / moved week: of those, the patients whose hospital (resp. only week) changed;
- objective: the LP objective without the change penalty, and its increase over the unanchored
  optimum (the re-plan at weight 0: the same bookings, no penalty), absolute and relative;
- whole-patient: the same for the whole-patient plan's objective (the headline shown to people).

A row `fresh` is the summer scenario planned from nothing (no frozen week, no penalty): what a
coordinator saw before re-planning existed. Numbers are in benchmarks/STABILITY.md.
"""

from __future__ import annotations

import argparse
import sys
import time

from optimizer import plan, replan, resolve_scenario
from optimizer.replanning import previous_proposals

DEFAULT = "scenarios/default.yaml"
SUMMER = "scenarios/summer-karlstad.yaml"
WEIGHTS = (0.0, 1.0, 3.0, 10.0, 30.0)


def _objective_without_penalty(result) -> tuple[float, float]:
    """(LP, whole-patient) objectives without the change penalty's terms."""
    w = result.scenario.weights.change

    def penalty(terms: dict) -> float:
        return w * (terms.get("changed_proposals", 0.0) + terms.get("week_drift", 0.0))

    return result.objective - penalty(result.lp.terms), result.integer.objective - penalty(result.integer.terms)


def measure(weights: tuple[float, ...] = WEIGHTS) -> list[dict]:
    """One row per change weight (and `fresh`), as described in the module docstring.

    summer-karlstad.yaml extends the default scenario (`extends: default.yaml`): the same policy,
    weights and data but for Karlstad's summer cut. The previous plan is passed whole (a
    `PlanResult`), so its LP flows anchor each group's weekly schedule as well as its proposals.
    """
    previous = plan(DEFAULT)
    before = previous_proposals(previous)
    summer, _ = resolve_scenario(SUMMER)
    rows = []
    cases = [("fresh", summer.updated(policy={"frozen_weeks": 0}, weights={"change": 0.0}))]
    cases += [(f"{w:g}", summer.updated(weights={"change": w})) for w in weights]
    reference = None
    for label, scenario in cases:
        started = time.perf_counter()
        result = replan(scenario, previous)
        seconds = time.perf_counter() - started
        counts = result.extra_summary["changes"]
        lp, whole = _objective_without_penalty(result)
        if label == "0":
            reference = (lp, whole)
        print(f"change weight {label}: {counts} objective {lp:.1f} ({seconds:.0f} s)", file=sys.stderr, flush=True)
        rows.append(
            {
                "change_weight": label,
                "previous": len(before),
                "frozen": counts["frozen_bookings"],
                "changed": counts["changed"],
                "moved_hospital": counts["moved hospital"],
                "moved_week": counts["moved week"],
                "no_longer": counts["no longer proposed"],
                "newly": counts["newly proposed"],
                "objective": lp,
                "whole_patient": whole,
                "seconds": seconds,
            }
        )
    for row in rows:
        row["changed_share"] = row["changed"] / row["previous"]
        row["objective_increase"] = row["objective"] / reference[0] - 1
        row["whole_patient_increase"] = row["whole_patient"] / reference[1] - 1
    return rows


def markdown(rows: list[dict]) -> str:
    """The rows as a markdown table."""
    lines = [
        "| change weight | frozen bookings | changed (share of previous) | moved hospital | moved week "
        "| no longer proposed | newly proposed | LP objective (excl. penalty) | vs unanchored "
        "| whole-patient objective | vs unanchored | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['change_weight']} | {r['frozen']:,} | {r['changed']:,} ({r['changed_share']:.1%}) "
            f"| {r['moved_hospital']:,} | {r['moved_week']:,} | {r['no_longer']:,} | {r['newly']:,} "
            f"| {r['objective']:,.1f} | {r['objective_increase']:+.2%} | {r['whole_patient']:,.1f} "
            f"| {r['whole_patient_increase']:+.2%} | {r['seconds']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=float, nargs="*", default=list(WEIGHTS))
    args = parser.parse_args()
    print(markdown(measure(tuple(args.weights))))


if __name__ == "__main__":
    main()
