"""Fixtures for the browser tests: a lab server on a free loopback port, Chromium, pages.

Servers run in their own process group with a fresh temporary ledger (``$RIDGELINE_LEDGER``),
are polled on marimo's ``/health`` until ready, and are stopped with SIGINT to their group
(``serve()`` turns it into terminating its marimo child), then SIGKILL if they linger.
Chromium is Debian's ``/usr/bin/chromium`` driven by Playwright's sync API; no browser is
downloaded. Without it (or without the playwright package) the browser tests are skipped.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("RIDGELINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).with_name("fixtures")
LAB_APP = ROOT / "src" / "ridgeline" / "lab" / "app.py"
START_TIMEOUT_S = 120  # marimo's first start on a busy 2-core machine can take tens of seconds

try:
    import playwright.sync_api  # noqa: F401
    _PLAYWRIGHT = None
except ImportError as exc:  # pragma: no cover - the dev extra installs it
    _PLAYWRIGHT = f"the playwright package is not installed ({exc})"


def _skip_reason() -> str | None:
    if _PLAYWRIGHT:
        return _PLAYWRIGHT
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM} (apt install chromium, or set RIDGELINE_CHROMIUM)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _skip_reason()
    if reason is None:
        return
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it; a race is possible but rare)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """A marimo app served in a child process group on 127.0.0.1 with its own ledger file.

    ``app=None`` serves the real lab through ``ridgeline.lab.server.serve`` (the code path of
    ``ridgeline lab``); a path serves that notebook with ``marimo run`` directly.
    """

    def __init__(self, workdir: Path, app: Path | None = None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ledger = self.workdir / "ledger.jsonl"
        self.log_path = self.workdir / "server.log"
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        if self.app is None:
            code = ("import sys; from ridgeline.lab.server import serve; "
                    f"sys.exit(serve('127.0.0.1', {self.port}, {str(self.ledger)!r}))")
            return [sys.executable, "-c", code]
        return [sys.executable, "-m", "marimo", "run", str(self.app), "--headless",
                "--host", "127.0.0.1", "--port", str(self.port), "--no-token", "--no-sandbox",
                "--no-check"]

    def start(self) -> LabServer:
        env = dict(os.environ, RIDGELINE_LEDGER=str(self.ledger), PYTHONUNBUFFERED="1")
        self._log = open(self.log_path, "w")  # noqa: SIM115 - open for the server's lifetime
        self.proc = subprocess.Popen(self.command(), cwd=self.workdir, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_ready()
        return self

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"lab server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"lab server not ready after {START_TIMEOUT_S} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        for sig, wait_s in ((signal.SIGINT, 15), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)  # the group we created: serve() and its marimo
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait_s)
                break
            except subprocess.TimeoutExpired:
                continue
        self.proc = None
        self._log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def context(browser):
    from marimo_dom import TIMEOUT_MS

    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture(scope="session")
def widgets_server(tmp_path_factory):
    """The helpers' own fixture notebook, served once per session."""
    srv = LabServer(tmp_path_factory.mktemp("widgets"), FIXTURES / "widgets_app.py").start()
    yield srv
    srv.stop()


def _require_lab():
    if not LAB_APP.exists():
        pytest.skip(f"the lab app {LAB_APP.relative_to(ROOT)} does not exist yet")
    try:
        from ridgeline.lab import server  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"ridgeline.lab.server is not importable yet ({exc})")


@pytest.fixture
def lab_factory(tmp_path_factory):
    """Start fresh lab servers (each with an empty ledger); all are stopped after the test."""
    _require_lab()
    started = []

    def make() -> LabServer:
        srv = LabServer(tmp_path_factory.mktemp("lab")).start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    """One lab server (fresh ledger) shared by the tests of a module."""
    _require_lab()
    srv = LabServer(tmp_path_factory.mktemp("lab")).start()
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _server_log_on_failure(request):
    """On a failing browser test, print the tail of every server log it used."""
    yield
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        for name in ("widgets_server", "lab_server"):
            if name in request.fixturenames:
                srv = request.getfixturevalue(name)
                print(f"--- {name} log ---\n{srv.log_tail()}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call":
        item.rep_call = rep
