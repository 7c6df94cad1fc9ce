"""The test suite's own layout: shared helpers live in tests/factory.py, not in test modules."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def test_no_test_module_imports_another_test_module():
    # Importing from a test module runs its module-level code and ties its helpers to its tests;
    # whatever two modules share belongs in tests/factory.py. (tests/api and tests/reliability keep
    # their own helpers and are not checked here.)
    offenders = []
    for path in sorted(TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            if any(part.startswith("test_") for name in names for part in name.split(".")[1:]):
                offenders.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    assert not offenders, offenders
