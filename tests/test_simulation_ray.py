"""Draws as Ray tasks: the same seed gives the same bands in this process, on local Ray and on a cluster.

CI (`.ci/run`) starts a Ray cluster on loopback and exports its address as CAPPLAN_TEST_RAY_ADDRESS;
without it the cluster test is skipped. The datasets are tiny (tests/factory.py): what is tested is
where the draws run, not how long they take.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from models.simulation_settings import SimulationSettings
from optimizer import simulate
from optimizer.simulation.engine import ray_available, resolve_engine
from tests.factory import random_dataset, scenario

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = os.environ.get("CAPPLAN_TEST_RAY_ADDRESS")
needs_ray = pytest.mark.skipif(not ray_available(), reason="Ray is not installed (the cluster extra)")

#: Each test starts (or joins) a Ray instance: one at a time on one xdist worker, not two local clusters at once.
pytestmark = pytest.mark.xdist_group("ray")


def _random_scenario():
    return scenario(5, policy={"max_travel_km": 300}, simulation=SimulationSettings().model_dump())


def _bands(**where) -> pd.DataFrame:
    return simulate(_random_scenario(), dataset=random_dataset(3, weeks=5), draws=4, seed=17, **where).bands


def test_importing_the_engine_loads_no_ray():
    code = "import sys, optimizer, models; print('ray' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "False"


def test_an_address_without_ray_or_with_the_local_engine_is_refused():
    with pytest.raises(ValueError, match="needs engine ray"):
        resolve_engine("local", "127.0.0.1:6379")


@needs_ray
def test_the_same_seed_gives_the_same_bands_in_process_and_on_local_ray():
    pd.testing.assert_frame_equal(_bands(engine="local"), _bands(engine="ray", workers=2))


@needs_ray
@pytest.mark.skipif(not CLUSTER, reason="no Ray cluster: CAPPLAN_TEST_RAY_ADDRESS is unset (.ci/run sets it)")
def test_the_same_seed_gives_the_same_bands_locally_and_on_the_cluster():
    on_cluster = simulate(_random_scenario(), dataset=random_dataset(3, weeks=5), draws=4, seed=17, ray_address=CLUSTER)
    assert on_cluster.engine == "ray" and on_cluster.address == CLUSTER
    pd.testing.assert_frame_equal(_bands(engine="local"), on_cluster.bands)


@needs_ray
def test_a_sweep_planned_as_ray_tasks_gives_each_scenario_its_own_plan(tmp_path):
    from models import save_dataset
    from optimizer import plan, plan_sweep

    folder = save_dataset(random_dataset(4, weeks=3), tmp_path / "tiny")
    variants = [
        scenario(3, name=f"capacity-{factor}", dataset=str(folder), changes=[{"demand": {"factor": factor}}])
        for factor in (0.5, 1.0, 1.5)
    ]
    views = plan_sweep(variants, engine="ray", workers=2)
    assert [view.name for view in views] == ["capacity-0.5", "capacity-1.0", "capacity-1.5"]
    for view, variant in zip(views, variants, strict=True):
        assert view.summary["objective"] == pytest.approx(plan(variant).objective, rel=1e-9)
