"""The independent evaluator: any set of flows replayed patient by patient against the scenario's rules."""

from optimizer.evaluation.flows import FLOW_COLUMNS
from optimizer.evaluation.replay import Evaluation, evaluate_flows
from optimizer.evaluation.replayer import Replay, Replayer

__all__ = ["FLOW_COLUMNS", "Evaluation", "Replay", "Replayer", "evaluate_flows"]
