"""The independent evaluator: any set of flows replayed patient by patient against the scenario's rules."""

from optimizer.evaluation.flows import FLOW_COLUMNS
from optimizer.evaluation.replay import Evaluation, evaluate_flows

__all__ = ["FLOW_COLUMNS", "Evaluation", "evaluate_flows"]
