"""Shared fixtures and the suite's parallel run.

`pytest` runs the tests on two pytest-xdist worker processes (`addopts` in pyproject.toml, with
`--dist loadgroup`); `pytest -n 0` runs them in this process, one after another. The hooks here:

* keep the tests that share something expensive on one worker (`xdist_group`), so it is built once;
* accept addopts' `--numprocesses`/`--dist` without pytest-xdist (`-p no:xdist`, or a venv that lacks
  it): the suite then runs serially;
* add up the reliability figures (tests/reliability/figures.py) that each worker counted.
"""

from __future__ import annotations

import pytest

from tests import factory
from tests.reliability.figures import FIGURES

#: Session fixtures that plan runs or start a server: the tests that use one run on one worker.
SHARED_SESSION_FIXTURES = ("service", "service_url")
#: Where a worker hands its reliability figures to the controller (`config.workeroutput`).
FIGURES_KEY = "capplan_reliability_figures"


@pytest.fixture(params=["full_lp", "column_generation"])
def strategy(request, monkeypatch) -> str:
    """Scenarios made by `tests.factory.scenario()` carry this `solve.strategy` (the test runs once per strategy)."""
    monkeypatch.setattr(factory, "SOLVE_STRATEGY", request.param)
    return request.param


# --- parallel run ------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """Without pytest-xdist, addopts' `--numprocesses` and `--dist` are accepted and do nothing."""
    if pluginmanager.has_plugin("xdist"):
        return
    group = parser.getgroup("serial", "pytest-xdist is not active: the tests run in this process")
    group.addoption("--numprocesses", default=None, help="ignored without pytest-xdist")
    group.addoption("--dist", default="no", help="ignored without pytest-xdist")


def xdist_group(item: pytest.Item) -> str | None:
    """The worker group of a test: the shared session fixture it uses, else its module when it uses a
    module-scoped fixture (built once per worker that runs the module's tests), else none."""
    info = getattr(item, "_fixtureinfo", None)  # pytest's resolved fixtures of the test (no public API)
    if info is None:
        return None
    definitions = info.name2fixturedefs  # every fixture in the test's closure → its definitions, last wins
    for name in SHARED_SESSION_FIXTURES:
        if name in definitions and definitions[name][-1].scope == "session":
            return name
    if any(defs[-1].scope == "module" for defs in definitions.values()):
        return item.module.__name__
    return None


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups from the markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue  # the module chose its group itself
        group = xdist_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


# --- reliability figures -----------------------------------------------------------------------------


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a worker: hand its figures to the controller (sent when the worker finishes)."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[FIGURES_KEY] = dict(FIGURES)


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: absent without it
def pytest_testnodedown(node, error) -> None:
    """On the controller: add up the figures of a worker that finished."""
    FIGURES.update(getattr(node, "workeroutput", {}).get(FIGURES_KEY, {}))


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("reliability figures (issue 8)")
        for name, count in FIGURES.items():
            terminalreporter.write_line(f"{name}: {count}")
