"""The architecture holds: one public API, layers without cycles, small engine modules, a light import."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FRONT_ENDS = ["capplan", "api", "presentation"]
#: The engine's modules stay short enough to read in one sitting (issue 18: "about 600 lines").
MAX_ENGINE_MODULE_LINES = 600


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import statement in `path`, at any depth (function-level too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def test_front_ends_import_the_engine_only_through_its_public_api():
    offending = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for package in FRONT_ENDS
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, module in _imported_modules(path)
        if module.startswith("optimizer.")
    ]
    assert offending == []


def test_importing_the_engine_loads_no_pyomo_plotting_spreadsheet_or_web_library():
    code = (
        "import sys, optimizer, models; "
        "print(','.join(m for m in ('pyomo', 'plotly', 'openpyxl', 'fastapi', 'sqlalchemy') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""


def test_the_import_contracts_hold():
    """import-linter's contracts in pyproject.toml: layers, no cycles, Pyomo only in its adapter."""
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if command is None:
        pytest.fail("lint-imports is not installed: pip install -e '.[test]'")
    run = subprocess.run([command, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:]


def test_engine_modules_stay_short():
    long = {
        str(path.relative_to(ROOT)): n
        for path in sorted((ROOT / "optimizer").rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_ENGINE_MODULE_LINES
    }
    assert long == {}
