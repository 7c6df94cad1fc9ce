"""The README's curl walk-through runs as written: its bash blocks against a live `capplan serve`.

The service is started by the README's own serve block (its keys, its command) on a free loopback
port and a temporary data folder; the walk-through's blocks (between the `<!-- walk-through: ... -->`
markers of the "HTTP API" section) then run in one bash with `set -euo pipefail`, in a temporary
folder that sees the repository's `scenarios/`. The only edit to the README's text is the port.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
START_MARKER = "<!-- walk-through:"
END_MARKER = "<!-- walk-through: end -->"
README_PORT = "8000"
#: Starting the service (imports, migrations) and the whole walk-through, with room for a slow machine.
START_TIMEOUT = 60.0
WALKTHROUGH_TIMEOUT = 600.0

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="the walk-through needs curl")


def _http_api_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## HTTP API\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def _bash_blocks(text: str) -> list[str]:
    return re.findall(r"^```bash\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)


def readme_blocks() -> tuple[str, list[str]]:
    """The HTTP API section's serve block, and the walk-through's blocks in order."""
    section = _http_api_section()
    start = section.index(START_MARKER)
    end = section.index(END_MARKER)
    serve = _bash_blocks(section[:start])
    walkthrough = _bash_blocks(section[start:end])
    assert serve and "capplan serve" in serve[0], "the HTTP API section starts with the serve block"
    assert walkthrough, "no bash block between the walk-through markers"
    return serve[0], walkthrough


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _on_port(script: str, port: int) -> str:
    assert README_PORT in script, "the README's examples use port 8000"
    return script.replace(README_PORT, str(port))


def _environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPPLAN_") and k != "DATABASE_URL"}
    env["CAPPLAN_DATA_DIR"] = str(data_dir)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # this environment's capplan
    return env


def _wait_until_healthy(server: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the service exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the service did not answer /health within {START_TIMEOUT:g} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def service(tmp_path):
    """The README's serve block, running on a free port; yields (port, environment)."""
    serve, _ = readme_blocks()
    port = _free_port()
    env = _environment(tmp_path / "data")
    log = tmp_path / "service.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            ["bash", "-c", _on_port(serve, port)],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole below
        )
    try:
        _wait_until_healthy(server, port, log)
        yield port, env
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_every_curl_of_the_walkthrough_fails_on_an_error():
    _, blocks = readme_blocks()
    calls = [line for block in blocks for line in block.splitlines() if re.search(r"\bcurl ", line)]
    assert len(calls) >= 10
    assert [line for line in calls if "--fail-with-body" not in line] == []


def test_the_readme_walkthrough_runs_verbatim(service, tmp_path):
    port, env = service
    _, blocks = readme_blocks()
    work = tmp_path / "work"
    work.mkdir()
    (work / "scenarios").symlink_to(ROOT / "scenarios")  # the walk-through runs in the repository's folder
    trace = "trap 'echo \"walk-through failed at: $BASH_COMMAND\" >&2' ERR"
    script = "\n".join(["set -euo pipefail", trace, _on_port("\n".join(blocks), port)])
    started = time.monotonic()
    done = subprocess.run(
        ["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=WALKTHROUGH_TIMEOUT
    )
    seconds = time.monotonic() - started
    shown = f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}"
    assert done.returncode == 0, shown
    assert "done" in done.stdout.splitlines(), shown  # the wait loop saw the run end as done

    allocations = (work / "allocations.csv").read_text(encoding="utf-8")
    assert not allocations.lstrip().startswith("{"), allocations[:500]
    table = pd.read_csv(io.StringIO(allocations))
    assert {"region_id", "procedure_id", "hospital_id", "week", "patients"} <= set(table.columns)
    assert len(table) > 0 and table["patients"].sum() > 0
    report = (work / "report.html").read_text(encoding="utf-8")
    assert report.lstrip().lower().startswith(("<!doctype html", "<html")), report[:500]
    assert "quarter" in report
    print(f"README walk-through: {seconds:.1f} s")
