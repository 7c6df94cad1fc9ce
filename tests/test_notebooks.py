"""The planning group's notebooks: committed without outputs, and each runs top to bottom in time.

The execution tests are marked `notebooks` (select them with `pytest -m notebooks`, skip them with
`pytest -m "not notebooks"`); they run by default. Each notebook runs in a fresh kernel of the
interpreter running the tests, so it sees the same capplan installation.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = [
    "01_where_do_we_stand.ipynb",
    "02_the_joint_plan.ipynb",
    "03_comparing_proposals.ipynb",
    "04_sensitivity.ipynb",
]
#: Seconds a whole notebook may take (each is written to finish in under a minute on two cores).
TIMEOUT_SECONDS = 120
KERNEL_NAME = "capplan-tests"


def test_the_four_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_has_no_outputs(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        i
        for i, cell in enumerate(notebook["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; strip them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_matches_its_generator(path: Path):
    """notebooks/make_notebooks.py writes the notebooks; an edit made only in the .ipynb would be lost."""
    sys.path.insert(0, str(NOTEBOOK_DIR))
    try:
        import make_notebooks
    finally:
        sys.path.remove(str(NOTEBOOK_DIR))
    expected = make_notebooks.build(make_notebooks.NOTEBOOKS[path.name], path.name)
    committed = nbformat.read(path, as_version=4)
    assert [(c.cell_type, c.source) for c in committed.cells] == [(c.cell_type, c.source) for c in expected.cells], (
        f"{path.name} differs from notebooks/make_notebooks.py: edit the generator and rerun it"
    )


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory) -> str:
    """A kernel spec running this interpreter, with the repository importable, found via JUPYTER_PATH."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    python_path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "capplan tests",
                "language": "python",
                "env": {"PYTHONPATH": python_path},
            }
        ),
        encoding="utf-8",
    )
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(root), previous) if p)
    yield KERNEL_NAME
    if previous is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = previous


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_without_errors_in_time(path: Path, kernel_name: str):
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=TIMEOUT_SECONDS,  # per cell; the whole notebook is checked below
        startup_timeout=60,
        kernel_name=kernel_name,
        allow_errors=False,  # the first failing cell raises CellExecutionError with its traceback
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue}"
    assert elapsed < TIMEOUT_SECONDS, f"{path.name} took {elapsed:.0f} s, more than {TIMEOUT_SECONDS} s"
