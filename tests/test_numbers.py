"""Issue 22 item 6: plain decimals in every CSV written, noise cleaned to 0, one meaning per cost name."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from models.numbers import clean_noise, plain, to_csv_text
from optimizer import ResultView, compare, plan
from presentation.result_files import write_results
from tests.factory import random_dataset, scenario

EXPONENT = re.compile(r"\d[eE][+-]?\d")


def test_plain_decimals_read_back_exactly():
    for value in (1.08946e8, 1e20, 0.1, 1 / 3, 2.0, 1e-7, 123456789.123456789):
        text = plain(value)
        assert not EXPONENT.search(text)
        assert float(text) == value
    assert plain(2.0) == "2"
    assert plain(1.08946e8) == "108946000"


def test_noise_is_zero_and_csv_has_no_exponent():
    frame = pd.DataFrame({"patients": [7e-15, -3e-16, 1.5, 1.08946e8], "id": ["a", "b", "c", "d"]})
    cleaned = clean_noise(frame)
    assert cleaned["patients"].tolist() == [0.0, 0.0, 1.5, 1.08946e8]
    text = to_csv_text(frame)
    assert not EXPONENT.search(text)
    assert text.splitlines()[1:] == ["0,a", "0,b", "1.5,c", "108946000,d"]
    assert "-0" not in text


def test_result_folder_and_comparison_have_plain_decimals(tmp_path):
    ds = random_dataset(1)
    result = plan(scenario(4, policy={"max_travel_km": 400}), dataset=ds)
    folder = write_results(result, tmp_path / "run")
    for path in folder.glob("*.csv"):
        assert not EXPONENT.search(path.read_text(encoding="utf-8")), path.name
    back = pd.read_csv(folder / "allocations.csv")
    assert np.allclose(back["patients"].to_numpy(), result.lp.allocations["patients"].to_numpy(), rtol=0, atol=1e-9)
    table = compare([ResultView.from_plan(result), ResultView.from_folder(folder)])
    numbers = table.drop(columns=["metric", "region_id", "note"]).to_numpy(dtype=float)
    assert not ((np.abs(numbers) > 0) & (np.abs(numbers) < 1e-9)).any()
    assert not EXPONENT.search(to_csv_text(table))
