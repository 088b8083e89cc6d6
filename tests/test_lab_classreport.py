"""The instructor's class report (issue 9): schema, skipped files, anonymity, the HTML page."""

from __future__ import annotations

import json
import urllib.request

import pytest

from ridgeline.lab import classreport as CRP
from ridgeline.lab import questions as Q
from ridgeline.lab import report, server
from ridgeline.lab import tracks as T
from ridgeline.lab.ledger import Ledger


def _student(path, right: bool, text: str):
    """One student's ledger on the Cloud track: the Part 2 lock, 2 probes, a reflection."""
    q = Q.questions(T.CLOUD)[1]
    led = Ledger(path)
    led.append("lock", "cloud", {"part": 2, "question": q.key, "prompt": q.prompt,
                                 "choice": q.choices[0] if right else q.choices[1]})
    for v, a in ((8, "memory"), (4096, "compute")):
        led.append("probe", "cloud", {"part": 2, "value": v, "answer": a})
    led.append("reflection", "cloud", {"part": 2, "text": text})
    return led


def test_the_lab_export_validates_against_the_schema(tmp_path):
    led = _student(tmp_path / "a.jsonl", True, "x")
    data = report.report_json(led.states(), student="ada")
    assert CRP.schema_errors(data) == []
    assert CRP.schema_errors({**data, "version": 2})  # another version is refused
    assert CRP.schema_errors({"tracks": "no"})


def test_bad_files_are_listed_and_skipped_never_abort(tmp_path):
    _student(tmp_path / "ada.jsonl", True, "ada's note")
    (tmp_path / "bob.json").write_bytes(report.report_json_bytes(
        _student(tmp_path / "x" / "b.jsonl", False, "bob's note").states()))
    (tmp_path / "junk.json").write_text("{not json")
    (tmp_path / "foreign.json").write_text(json.dumps({"report": "something else"}))
    (tmp_path / "notes.jsonl").write_text("my shopping list\n")
    got = CRP.load([tmp_path])
    assert sorted(got.reports) == ["ada", "bob"]
    assert sorted(p.rsplit("/", 1)[-1] for p in got.skipped) == [
        "foreign.json", "junk.json", "notes.jsonl"]
    assert (tmp_path / "notes.jsonl").read_text() == "my shopping list\n"  # read-only


def test_summary_counts_choices_brackets_and_reflections(tmp_path):
    for i, right in enumerate([True, True, False]):
        _student(tmp_path / f"s{i}.jsonl", right, f"note {i}")
    s = CRP.summarize(CRP.load([tmp_path]))
    q = s["tracks"]["cloud"]["questions"]["2"]
    # 3 students, 2 chose the first choice; whichever is computed, counts add to 3
    assert q["n"] == 3 and sum(q["choices"].values()) == 3 and max(q["choices"].values()) == 2
    assert [b for _, n, b in s["tracks"]["cloud"]["probes"]] == [(8.0, 4096.0)] * 3
    assert sorted(t for _, t in s["tracks"]["cloud"]["reflections"]["2"]) == [
        "note 0", "note 1", "note 2"]
    assert {w for w, _ in s["tracks"]["cloud"]["reflections"]["2"]} == {
        "Student 1", "Student 2", "Student 3"}  # anonymous by default


def test_the_page_is_self_contained_escaped_and_anonymous(tmp_path):
    _student(tmp_path / "ada.jsonl", True, "</blockquote><script>alert(1)</script>")
    out = tmp_path / "class.html"
    res = server.write_class_report([tmp_path], out)
    html = out.read_text()
    assert res["students"] == 1 and "<script" not in html and "&lt;script&gt;" in html
    assert "http://" not in html and "https://" not in html and "ada" not in html
    server.write_class_report([tmp_path], out, names=True)
    assert "ada" in out.read_text() and "<svg" in out.read_text()


def test_the_live_report_needs_the_token(tmp_path):
    _student(tmp_path / "ada.jsonl", True, "hello class")
    srv = server.report_server("127.0.0.1", _free(), tmp_path)
    import threading
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}/"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with pytest.raises(urllib.error.HTTPError, match="403"):
            opener.open(base + "?token=wrong", timeout=10)
        with opener.open(base + f"?token={srv.token}", timeout=30) as r:
            page = r.read().decode()
        assert "hello class" in page and str(tmp_path) not in page
    finally:
        srv.shutdown()
        srv.server_close()


def _free() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
