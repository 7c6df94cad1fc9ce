"""The `capplan` console script: exit codes pass through `entry_point`, which freezes the GC on exit."""

from __future__ import annotations

import gc
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from capplan.cli import entry_point

ROOT = Path(__file__).resolve().parents[1]


def test_console_script_is_the_entry_point():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["capplan"] == "capplan.cli:entry_point"


def test_entry_point_freezes_the_collector_and_keeps_the_exit_code(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["capplan", "--help"])
    gc.unfreeze()
    try:
        with pytest.raises(SystemExit) as exit_:
            entry_point()
        assert exit_.value.code == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # the rest of the suite runs with a normal collector
    assert "validate" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "code", "words"),
    [
        (["--help"], 0, "Usage"),
        (["validate", "no-such-folder"], 1, "does not exist"),
        (["no-such-command"], 2, "No such"),
    ],
)
def test_exit_codes_through_the_entry_point(tmp_path, arguments, code, words):
    program = "import sys; from capplan.cli import entry_point; sys.argv[0] = 'capplan'; entry_point()"
    done = subprocess.run(
        [sys.executable, "-c", program, *arguments], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == code, done.stderr
    assert words in done.stdout + done.stderr
