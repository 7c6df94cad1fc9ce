"""capplan's domain: the dataset contract, validated loading and saving, domain models.

`models` imports neither `optimizer` nor `api`: data flows files → models → optimizer → front ends.
"""

from models.dataset import Dataset
from models.errors import CapplanError, DatasetError, Problem, ScenarioError
from models.loader import load_dataset, save_dataset

__all__ = ["CapplanError", "Dataset", "DatasetError", "Problem", "ScenarioError", "load_dataset", "save_dataset"]
