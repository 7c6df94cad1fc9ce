"""The planning group's notebooks: jupytext percent-format sources that each run top to bottom in time.

`notebooks/0N_name.py` is the source of truth (linted and formatted by ruff like any module); no .ipynb is
committed. The tests read each source with jupytext, check its shape and its imports, and execute it with
nbclient in a fresh kernel of the interpreter running the tests (so it sees the same capplan installation),
writing the executed .ipynb into pytest's tmp directory.

The execution tests are marked `notebooks` (select them with `pytest -m notebooks`, skip them with
`pytest -m "not notebooks"`); they run by default.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupytext.formats import guess_format
from nbclient import NotebookClient

import optimizer

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.py"))
EXPECTED = [
    "01_where_do_we_stand.py",
    "02_the_joint_plan.py",
    "03_comparing_proposals.py",
    "04_sensitivity.py",
]
#: capplan's own packages; a notebook uses only their public names, and `optimizer` only through its top level.
PROJECT_PACKAGES = {"optimizer", "models", "presentation"}
#: Seconds a whole notebook may take (each is written to finish in under a minute on two cores).
TIMEOUT_SECONDS = 120
KERNEL_NAME = "capplan-tests"


def test_the_four_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_source_is_a_percent_format_notebook(path: Path):
    text = path.read_text(encoding="utf-8")
    assert guess_format(text, ".py")[0] == "percent", f"{path.name}: not a jupytext percent-format file"
    # Below the optional `# ---` metadata header, everything lies in a cell opened by a `# %%` marker.
    body = text.split("# ---\n", 2)[-1] if text.startswith("# ---\n") else text
    first = next(line for line in body.splitlines() if line.strip())
    assert first.startswith("# %%"), f"{path.name}: {first!r} comes before the first `# %%` cell marker"

    notebook = jupytext.reads(text, fmt="py:percent")
    nbformat.validate(notebook)
    kinds = [cell.cell_type for cell in notebook.cells]
    assert "markdown" in kinds, f"{path.name}: no `# %% [markdown]` cell"
    assert "code" in kinds, f"{path.name}: no `# %%` code cell"
    assert kinds[0] == "markdown", f"{path.name}: should open with a markdown cell giving its title"
    assert notebook.cells[0].source.startswith("# "), f"{path.name}: the first cell should be a `# Title`"
    empty = [i for i, cell in enumerate(notebook.cells) if not cell.source.strip()]
    assert not empty, f"{path.name}: cells {empty} are empty"


def _private(name: str) -> bool:
    return any(part.startswith("_") for part in name.split("."))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_imports_only_public_names(path: Path):
    """`from optimizer import ...` names in `optimizer.__all__`; public modules and names of models/presentation."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                package = alias.name.split(".")[0]
                if package == "optimizer" and alias.name != "optimizer":
                    problems.append(f"line {node.lineno}: import {alias.name} (use `from optimizer import ...`)")
                elif package in PROJECT_PACKAGES and _private(alias.name):
                    problems.append(f"line {node.lineno}: import {alias.name} (private module)")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            package = module.split(".")[0]
            if node.level or package not in PROJECT_PACKAGES:
                continue
            names = [alias.name for alias in node.names]
            if package == "optimizer":
                if module != "optimizer":
                    problems.append(f"line {node.lineno}: from {module} import ... (use `from optimizer import ...`)")
                    continue
                hidden = [n for n in names if n not in optimizer.__all__]
                if hidden:
                    problems.append(f"line {node.lineno}: {hidden} are not in optimizer.__all__")
                continue
            if _private(module):
                problems.append(f"line {node.lineno}: from {module} import ... (private module)")
                continue
            loaded = importlib.import_module(module)
            for name in names:
                if name == "*" or name.startswith("_") or not hasattr(loaded, name):
                    problems.append(f"line {node.lineno}: {module}.{name} is not a public name")
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "optimizer"
            and node.attr not in optimizer.__all__
        ):
            problems.append(f"line {node.lineno}: optimizer.{node.attr} is not in optimizer.__all__")
    assert not problems, f"{path.name} reaches past the public API:\n" + "\n".join(problems)


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
def test_notebook_runs_without_errors_in_time(path: Path, kernel_name: str, tmp_path: Path):
    notebook = jupytext.read(path, fmt="py:percent")
    client = NotebookClient(
        notebook,
        timeout=TIMEOUT_SECONDS,  # per cell; the whole notebook is checked below
        startup_timeout=60,
        kernel_name=kernel_name,
        allow_errors=False,  # the first failing cell raises CellExecutionError with its traceback
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    executed = tmp_path / path.with_suffix(".ipynb").name
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        nbformat.write(notebook, executed)  # the outputs so far, to look at when a cell fails
    elapsed = time.perf_counter() - start
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue} (executed copy: {executed})"
    assert elapsed < TIMEOUT_SECONDS, f"{path.name} took {elapsed:.0f} s, more than {TIMEOUT_SECONDS} s"
