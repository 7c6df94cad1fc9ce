"""The `capplan` console script: exit codes pass through `entry_point`, which freezes the GC on exit."""

from __future__ import annotations

import gc
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import capplan.cli
from benchmarks.cli_run import ENTRY_POINT, ENTRY_PROGRAM, installed_entry_point
from capplan.cli import entry_point

ROOT = Path(__file__).resolve().parents[1]


def test_console_script_is_the_entry_point():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["capplan"] == ENTRY_POINT
    assert installed_entry_point() == ENTRY_POINT  # an older install would still run the app directly


@pytest.fixture
def unfrozen(monkeypatch):
    """The collector unfrozen before and after (the rest of the suite runs with a normal one)."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # Typer's app() replaces it
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_entry_point_freezes_the_collector_after_the_app_and_keeps_the_exit_code(monkeypatch, capsys, unfrozen):
    frozen_during_app = []
    app = capplan.cli.app

    def watched_app():
        frozen_during_app.append(gc.get_freeze_count())
        app()

    monkeypatch.setattr(capplan.cli, "app", watched_app)
    monkeypatch.setattr(sys, "argv", ["capplan", "--help"])
    with pytest.raises(SystemExit) as exit_:
        entry_point()
    assert exit_.value.code == 0
    assert frozen_during_app == [0] and gc.get_freeze_count() > 0
    assert "validate" in capsys.readouterr().out


def test_entry_point_lets_an_unexpected_error_through_and_still_freezes(monkeypatch, unfrozen):
    def failing_app():
        raise RuntimeError("boom")

    monkeypatch.setattr(capplan.cli, "app", failing_app)
    with pytest.raises(RuntimeError, match="boom"):
        entry_point()
    assert gc.get_freeze_count() > 0


@pytest.mark.parametrize(
    ("arguments", "code", "words"),
    [
        (["--help"], 0, "Usage"),
        (["validate", "no-such-folder"], 1, "does not exist"),
        (["no-such-command"], 2, "No such"),
    ],
)
def test_exit_codes_through_the_entry_point(tmp_path, arguments, code, words):
    done = subprocess.run(
        [sys.executable, "-c", ENTRY_PROGRAM, *arguments], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == code, done.stderr
    assert words in done.stdout + done.stderr
