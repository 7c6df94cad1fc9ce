"""The benchmark machinery on tiny instances: every column is filled and both paths agree (no timings)."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
import yaml

from benchmarks.cli_run import RUN_TIMEOUT_SECONDS, measure_cli
from benchmarks.instances import InstanceSpec, all_instances
from benchmarks.national import national_dataset
from benchmarks.runner import (
    CSV_COLUMNS,
    TABLE_COLUMNS,
    RunOptions,
    growth,
    markdown_table,
    render,
    run_benchmark,
    write_csv,
)
from models.loader import load_dataset, save_dataset
from tests.factory import random_dataset, scenario

#: Columns that stay empty by design on an instance without a time limit or scaling series.
OPTIONAL = {"series", "scale", "time_limit", "loadavg"}


@pytest.fixture(scope="module")
def tiny_specs(tmp_path_factory) -> list[InstanceSpec]:
    specs = []
    for seed, weeks in ((3, 3), (3, 6)):
        folder = tmp_path_factory.mktemp("data") / f"random{seed}"
        save_dataset(random_dataset(seed, weeks=6), folder)
        specs.append(
            InstanceSpec(
                f"random{seed}-{weeks}w",
                "test",
                scenario(horizon_weeks=weeks).to_yaml_dict(),
                dataset_dir=str(folder),
                series="weeks",
                scale=weeks,
            )
        )
    return specs


def check_row(row: dict) -> None:
    assert row["status"] == "optimal" and row["direct_status"] == "Optimal", row
    for key in CSV_COLUMNS:
        if key not in OPTIONAL:
            assert row.get(key) is not None, key
    assert row["variables"] > 0 and row["constraints"] > 0 and row["nonzeros"] > 0
    assert row["variables"] == row["direct_variables"] and row["nonzeros"] == row["direct_nonzeros"]
    assert row["agree"] is True and row["rel_diff"] <= 1e-6
    assert row["peak_rss_mib"] > 0 and row["ratio"] > 0
    assert row["highs_calls"] >= 1 and "solver" in row["highs_options"]


def test_in_process_rows_have_every_column_and_objectives_agree(tiny_specs, tmp_path, capsys):
    rows = run_benchmark(tiny_specs, RunOptions(isolate=False, log=lambda message: None))
    for row in rows:
        check_row(row)
    out = tmp_path / "bench.csv"
    write_csv(rows, out)
    with out.open() as handle:
        read = list(csv.DictReader(handle))
    assert list(read[0]) == CSV_COLUMNS and len(read) == len(rows)
    render(rows, {"commit": "test"}, width=400)
    printed = capsys.readouterr().out
    for _, header, _ in TABLE_COLUMNS:
        assert header in printed
    assert "growth per doubling" in printed
    assert markdown_table(rows).count("\n") == len(rows) + 1
    (series,) = growth(rows).values()
    assert series[0]["scales"] == [3, 6]


def test_fresh_process_per_path(tiny_specs):
    """The isolated run (a worker process per path) gives a complete row too, with its own peak RSS."""
    (row,) = run_benchmark(tiny_specs[:1], RunOptions(time_limit=60, log=lambda message: None))
    check_row(row)
    assert row["direct_peak_rss_mib"] > 0 and row["time_limit"] == 60
    # the engine passed the limit on to HiGHS: column generation gives each solve what is left of it
    limit = json.loads(row["highs_options"])["time_limit"]
    assert 0 < limit <= 60


def test_national_generator_is_typed_like_the_loader_and_seeded(tmp_path):
    small = national_dataset(regions=("gotland", "blekinge"), weeks=4, waiting=3000)
    save_dataset(small, tmp_path / "small")
    loaded = load_dataset(tmp_path / "small", plan_start="2025-W14")
    for name in small.table_names():
        pd.testing.assert_frame_equal(getattr(small, name), getattr(loaded, name))
    assert (small.waiting_list["status"] == "waiting").sum() == 3000
    again = national_dataset(regions=("gotland", "blekinge"), weeks=4, waiting=3000)
    pd.testing.assert_frame_equal(small.waiting_list, again.waiting_list)
    copies = national_dataset(regions=("gotland",), weeks=2, waiting=500, copies=2)
    assert len(copies.hospitals) == 2 and copies.regions["region_id"].tolist() == ["gotland", "gotland_c2"]


def test_instance_groups():
    groups = all_instances()
    assert [s.name for s in groups["default"]] == ["default-26w", "default-52w"]
    assert {s.series for s in groups["scaling"]} == {"hospitals", "weeks"}
    national = {s.name: s for s in groups["national"]}
    assert national["national-52w"].generator == {"weeks": 52}
    assert all(s.scenario["horizon_weeks"] == 52 for s in national.values())


def test_cli_benchmark_times_whole_runs_and_reports_a_failing_one(tmp_path):
    save_dataset(random_dataset(5, weeks=3), tmp_path / "data")
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump({**scenario(horizon_weeks=3).to_yaml_dict(), "dataset": "data"}))
    lines = []
    row = measure_cli(2, scenario=path, log=lines.append)
    # the command, the untimed first run and two timed ones
    assert len(lines) == 4 and "untimed" in lines[1] and len(row["seconds"].split()) == 2
    assert row["command"].endswith(f"run {path}") and row["max_seconds"] < RUN_TIMEOUT_SECONDS
    with pytest.raises(RuntimeError, match=r" exited with 1:\n") as failed:
        measure_cli(1, scenario=tmp_path / "no-such-scenario.yaml", log=lines.append)
    assert "no-such-scenario.yaml" in str(failed.value).splitlines()[0]
