"""The one atomic writer (`models.atomic`) and the one zero-safe share (`models.shares`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.atomic import replace_file, replace_folder, replace_text
from models.shares import share


def test_a_folder_is_replaced_whole_and_nothing_is_left_beside_it(tmp_path):
    target = tmp_path / "results"
    replace_folder(target, lambda folder: (folder / "old.csv").write_text("old"))
    replace_folder(target, lambda folder: (folder / "new.csv").write_text("new"))
    assert sorted(p.name for p in target.iterdir()) == ["new.csv"]  # old files do not linger
    assert [p.name for p in tmp_path.iterdir()] == ["results"]  # no staging or aside folder left


def test_a_failing_fill_leaves_the_old_folder_untouched(tmp_path):
    target = tmp_path / "results"
    replace_folder(target, lambda folder: (folder / "kept.csv").write_text("kept"))

    def fail(folder):
        (folder / "half.csv").write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        replace_folder(target, fail)
    assert (target / "kept.csv").read_text() == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["results"]


def test_a_file_is_replaced_only_when_complete(tmp_path):
    path = replace_text(tmp_path / "report.html", "first")

    def fail(temporary):
        temporary.write_text("partial")
        raise OSError("interrupted")

    with pytest.raises(OSError):
        replace_file(path, fail)
    assert path.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_share_is_zero_or_the_stated_value_where_nothing_divides():
    # 3/4 = 0.75; 0 and -1 in the denominator have no share
    np.testing.assert_array_equal(share([3.0, 5.0, 1.0], [4.0, 0.0, -1.0]), [0.75, 0.0, 0.0])
    assert np.isnan(share([1.0], [0.0], empty=np.nan)).all()
    series = share(pd.Series([1.0, 2.0], index=["a", "b"]), pd.Series([2.0, 0.0], index=["a", "b"]))
    assert series.to_dict() == {"a": 0.5, "b": 0.0}
