"""`dataset.yaml`: a dataset says it is synthetic, the flag travels with it, bad content is named."""

from __future__ import annotations

import pytest

from models import DatasetError, load_dataset, save_dataset
from models.provenance import METADATA_FILE, DatasetMetadata, read_metadata, write_metadata
from tests.factory import random_dataset


def test_the_flag_is_loaded_saved_and_loaded_again(tmp_path):
    save_dataset(random_dataset(1), tmp_path / "real")
    assert not (tmp_path / "real" / METADATA_FILE).exists()  # real data: nothing said, no file
    assert load_dataset(tmp_path / "real").synthetic is False
    write_metadata(tmp_path / "real", DatasetMetadata(synthetic=True, seed=7))
    loaded = load_dataset(tmp_path / "real")
    assert loaded.synthetic is True
    save_dataset(loaded, tmp_path / "copy")
    assert read_metadata(tmp_path / "copy").synthetic is True and load_dataset(tmp_path / "copy").synthetic


@pytest.mark.parametrize(
    ("content", "column", "message"),
    [
        ("synthetic: perhaps\n", "synthetic", "valid boolean"),
        ("synthetic: true\nowner: me\n", "owner", "Extra inputs"),
        ("- synthetic\n", None, "expected a mapping"),
        ("synthetic: [\n", None, "not readable YAML"),
    ],
)
def test_bad_metadata_is_named_by_file_and_field(tmp_path, content, column, message):
    save_dataset(random_dataset(1), tmp_path / "d")
    (tmp_path / "d" / METADATA_FILE).write_text(content, encoding="utf-8")
    with pytest.raises(DatasetError) as caught:
        load_dataset(tmp_path / "d")
    (problem,) = caught.value.problems
    assert problem.file == METADATA_FILE and problem.column == column and message in problem.message


def test_the_bundled_dataset_is_synthetic():
    from models.scenario import SCENARIOS_DIR

    assert read_metadata(SCENARIOS_DIR / "mellansverige").synthetic
