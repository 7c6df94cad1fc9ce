"""The independent evaluator: any set of flows replayed patient by patient against the scenario's rules."""

from optimizer.evaluation.replay import FLOW_COLUMNS, Evaluation, evaluate_flows

__all__ = ["FLOW_COLUMNS", "Evaluation", "evaluate_flows"]
