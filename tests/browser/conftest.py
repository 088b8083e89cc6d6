"""Fixtures for the browser tests: lab servers (servers.py), Chromium, pages.

Each lab server gets a free loopback port and a fresh temporary ledger. Chromium is Debian's ``/usr/bin/chromium`` driven by Playwright's sync API; no browser is
downloaded. Without it (or without the playwright package) the browser tests are skipped.
"""

from __future__ import annotations

import os

import pytest
from servers import FIXTURES, LabServer, lab_missing

CHROMIUM = os.environ.get("RIDGELINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

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
    reason = lab_missing()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def lab_factory(tmp_path_factory):
    """Start fresh lab servers (each with an empty ledger); callers stop them, the session
    end stops any left."""
    _require_lab()
    started = []

    def make() -> LabServer:
        srv = LabServer(tmp_path_factory.mktemp("lab")).start()
        started.append(srv)
        return srv

    make.started = started  # for the failure log below
    yield make
    for srv in started:
        srv.stop()


@pytest.fixture(autouse=True)
def _server_log_on_failure(request):
    """On a failing browser test, print the tail of every server log it may have used."""
    yield
    rep = getattr(request.node, "rep_call", None)
    if rep is None or not rep.failed:
        return
    servers = []
    if "widgets_server" in request.fixturenames:
        servers.append(request.getfixturevalue("widgets_server"))
    if "lab_factory" in request.fixturenames:
        servers += getattr(request.getfixturevalue("lab_factory"), "started", [])[-2:]
    for srv in servers:
        print(f"--- server log {srv.log_path} ---\n{srv.log_tail()}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call":
        item.rep_call = rep
