"""Classroom mode in a real browser (issue 9): two students on one ``--class-dir`` server.

Each student is a separate browser context (separate cookies and storage, as two machines
would be) on the same server. What must hold: each locks Part 1 with their own answer and sees
only their own lock; a fresh tab with ``?student=ID`` comes back to the same student; each
ledger file holds exactly that student's entries; and nothing the server sends to a browser
(pages, API answers, websocket frames) names an absolute server path: not the class
directory, not the checkout, not the home directory. marimo's run mode writes the notebook's
path into every page and into ``/api/home/workspace_files``; the class server runs a copy from
a throwaway ``ridgeline-class-XXXXXXXX`` directory, so the only path a client can see is that.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import urllib.request
from pathlib import Path

import pytest
from lab_ui import lock, open_lab, part, part_text
from marimo_dom import deep_text
from servers import ROOT, LabServer, free_port, ledger_entries

NEUTRAL = re.compile(r"/ridgeline-class-[A-Za-z0-9_]{8}/app\.py")


class ClassServer(LabServer):
    """``ridgeline lab --class-dir`` through ``serve()``, its report on a free port."""

    def __init__(self, workdir: Path):
        super().__init__(workdir)
        self.class_dir = self.workdir / "class"

    def command(self) -> list[str]:
        code = ("import sys; from ridgeline.lab.server import serve; "
                f"sys.exit(serve('127.0.0.1', {self.port}, class_dir={str(self.class_dir)!r}, "
                f"report_port={free_port()}))")
        return [sys.executable, "-c", code]


@pytest.fixture(scope="module")
def class_server(tmp_path_factory):
    from servers import lab_missing
    if lab_missing():
        pytest.skip(lab_missing())
    srv = ClassServer(tmp_path_factory.mktemp("classroom")).start()
    yield srv
    srv.stop()


def _secrets(srv: ClassServer) -> list[str]:
    """Absolute server paths no client may see."""
    return [str(srv.class_dir.resolve()), str(srv.workdir.resolve()), str(ROOT),
            str(Path.home()) + "/"]


def _watch(page, seen: list, answers: list) -> None:
    """Collect every websocket frame the page receives, and its HTML/JSON answers (read
    later: a sync handler must not wait on the browser)."""
    def on_response(resp):
        ctype = resp.headers.get("content-type", "")
        if "html" in ctype or "json" in ctype:
            answers.append(resp)

    def on_socket(ws):
        ws.on("framereceived", lambda data: seen.append(data if isinstance(data, str)
                                                        else data.decode("utf-8", "replace")))
    page.on("response", on_response)
    page.on("websocket", on_socket)


def _bodies(answers: list) -> list[str]:
    out = []
    for resp in answers:
        with contextlib.suppress(Exception):  # a redirect or an evicted body has no text
            out.append(resp.text())
    return out


def _words(page) -> str:
    """The page's text with every run of whitespace (text-node breaks too) as one space."""
    return " ".join(deep_text(page).split())


def _checked(page, n: int) -> str:
    return part(page, n).locator('[role=radio][aria-checked="true"]').first.get_attribute("value")


@pytest.mark.browser
def test_two_students_apart(browser, class_server):
    from marimo_dom import TIMEOUT_MS
    srv, seen, answers = class_server, [], []
    ctxs = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(3)]
    try:
        for c in ctxs:
            c.set_default_timeout(TIMEOUT_MS)
        ada, bob = ctxs[0].new_page(), ctxs[1].new_page()
        for pg, sid in ((ada, "ada"), (bob, "Bob")):  # "Bob" folds to the ID "bob"
            _watch(pg, seen, answers)
            open_lab(pg, f"{srv.url}?student={sid}")
        assert "Working as ada" in _words(ada) and "Working as bob" in _words(bob)
        a_choice = lock(ada, 1, choice_index=0, number=8.0)
        b_choice = lock(bob, 1, choice_index=1, number=123.0)
        assert a_choice != b_choice
        for pg, mine in ((ada, a_choice), (bob, b_choice)):
            assert "Locked at" in part_text(pg, 1)
            assert _checked(pg, 1) == mine, "a student sees another student's lock"

        # a new tab in a new context (another machine) with the personal link: same student
        again = ctxs[2].new_page()
        _watch(again, seen, answers)
        open_lab(again, f"{srv.url}?student=ada")
        assert "Working as ada" in _words(again)
        assert _checked(again, 1) == a_choice
        field = part(again, 1).locator("marimo-number input").first.input_value()
        assert float(field) == 8.0, f"ada's number came back as {field!r}"

        # one ledger per student, each holding exactly that student's lock
        files = sorted(p.name for p in srv.class_dir.glob("*.jsonl"))
        assert files == ["ada.jsonl", "bob.jsonl"], files
        for sid, choice, number in (("ada", a_choice, 8.0), ("bob", b_choice, 123.0)):
            locks = [(e["track"], e["payload"]["part"], e["payload"]["choice"],
                      e["payload"]["number"]) for e in ledger_entries(srv.class_dir / f"{sid}.jsonl")]
            assert locks == [("cloud", 1, choice, number)], (sid, locks)

        # no absolute server path on the pages or in anything sent to them
        for pg in (ada, bob, again):
            seen += [pg.content(), deep_text(pg)]
        seen += _bodies(answers)
        assert len(seen) > 20, "the watch caught almost nothing"
        leaks = [(s, blob[max(0, blob.find(s) - 80):blob.find(s) + 80])
                 for blob in seen for s in _secrets(srv) if s in blob]
        assert not leaks, leaks[:3]
        assert NEUTRAL.search(ada.content()), "expected marimo's page to name the neutral copy"
    finally:
        for c in ctxs:
            c.close()


@pytest.mark.browser
def test_run_mode_endpoints_name_no_server_path(class_server):
    """marimo's run-mode API, asked directly with the page's own server token."""
    srv = class_server
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(srv.url, timeout=30) as r:
        html = r.read().decode()
    token = re.search(r'data-token="([^"]+)"', html).group(1)
    answers = {}
    for path, body in (("api/home/workspace_files", {"includeMarkdown": False}),
                       ("api/home/recent_files", {}), ("api/home/running_notebooks", {}),
                       ("api/export/availability", None), ("api/status/connections", None),
                       ("api/version", None)):
        req = urllib.request.Request(
            srv.url + path, data=None if body is None else json.dumps(body).encode(),
            headers={"Marimo-Server-Token": token, "Content-Type": "application/json"})
        try:
            with opener.open(req, timeout=30) as r:
                answers[path] = r.read().decode()
        except urllib.error.HTTPError as err:  # refused (e.g. needs edit mode): its body too
            answers[path] = err.read().decode()
    answers["index"] = html
    leaks = [(k, s) for k, v in answers.items() for s in _secrets(srv) if s in v]
    assert not leaks, leaks
    # the workspace listing does answer, and names only the throwaway copy
    files = json.loads(answers["api/home/workspace_files"])["files"]
    assert [NEUTRAL.search(f["path"]) is not None for f in files] == [True], files
