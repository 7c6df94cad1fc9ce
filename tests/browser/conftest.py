"""Fixtures of the browser tests: the real service under uvicorn on a free loopback port (temporary
SQLite database and data dir, a test API key), and Debian's Chromium driven by Playwright.

Nothing downloads a browser: Chromium is `/usr/bin/chromium` (`.ci/run` installs Debian's package
where it is missing); without it, or without the `playwright` package, the tests are skipped.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
API_KEY = "browser-test-key-0123456789"
SCREENSHOTS = Path(__file__).parent / "screenshots"
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the service did not answer at {url} within {timeout:g} s")


@pytest.fixture(scope="session")
def service_url(tmp_path_factory) -> str:
    """`uvicorn api.main:app` as `capplan serve` runs it, on its own database; stopped at the end."""
    base = tmp_path_factory.mktemp("browser-service")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPPLAN_") and k != "DATABASE_URL"}
    env.update(
        CAPPLAN_DATA_DIR=str(base / "data"),
        CAPPLAN_DATABASE_URL=f"sqlite:///{base / 'capplan.db'}",
        CAPPLAN_API_KEYS=API_KEY,
        CAPPLAN_DISPATCH_INTERVAL_SECONDS="0.2",
        CAPPLAN_RUN_REPORTS="true",
    )
    log = (base / "service.log").open("wb")
    command = [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium (never a downloaded one); the test is skipped, saying why, where it is missing.

    Per module, not per session: Playwright's sync API runs an event loop on the main thread while it
    is open, and a later test calling `asyncio.run` (tests/reliability) would fail inside it.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (Debian: apt-get install chromium; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, a screenshot of every open page (tests/browser/screenshots/failed-*.png)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and "page" in item.funcargs:
        SCREENSHOTS.mkdir(exist_ok=True)
        item.funcargs["page"].screenshot(path=SCREENSHOTS / f"failed-{item.name}.png", full_page=True)


def offline_context(browser, service_url: str, locale: str = "sv-SE"):
    """A browser context that may reach the service only: any other request is blocked and recorded."""
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900}, accept_downloads=True)
    context.blocked = []

    def route(route):
        if route.request.url.startswith(service_url) or route.request.url.startswith(("blob:", "data:")):
            route.continue_()
        else:
            context.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    context.errors = []  # JavaScript errors of any page in the context: a test fails on them
    context.on("weberror", lambda error: context.errors.append(str(error.error)))
    return context
