"""Ledger hardening (issue 9): odd-valued lines kept and skipped, NaN lines never block a save,
symlinks resolved once, directories and foreign files refused untouched."""

from __future__ import annotations

import json

import pytest

from ridgeline.errors import RidgelineError
from ridgeline.lab import report
from ridgeline.lab.ledger import Ledger, scan

ODD = [  # each parses and has an entry's shape; each crashed the page or a report before
    {"part": [1], "choice": "A"},                       # a list as a dict key
    {"part": 2, "text": 42},                            # a number as a reflection's text
    {"part": 3, "choices": ["conv", "linear"]},         # a list as the design's choices
]


def _line(kind, track, payload, i=0) -> bytes:
    return json.dumps({"v": 1, "id": f"x{i}", "time": "2026-01-01T00:00:00.000Z", "kind": kind,
                       "track": track, "payload": payload}).encode() + b"\n"


def _odd_file(path):
    lines = [_line("lock", "cloud", ODD[0], 1), _line("lock", ["cloud"], {"part": 1}, 2),
             _line("reflection", "cloud", ODD[1], 3), _line("design", "cloud", ODD[2], 4)]
    path.write_bytes(b"".join(lines))
    return b"".join(lines)


def test_odd_lines_are_kept_counted_and_skipped(tmp_path):
    path = tmp_path / "l.jsonl"
    before = _odd_file(path)
    led = Ledger(path)
    assert led.entries() == [] and led.unreadable == 4
    assert led.state("cloud")["locks"] == {} and led.states() == {}
    led.append("lock", "cloud", {"part": 1, "choice": "B", "number": 2.0})
    data = path.read_bytes()
    assert data.startswith(before)  # kept byte for byte, in place, never moved aside
    assert list(tmp_path.glob("*.corrupt-*")) == []
    assert [e["payload"]["choice"] for e in led.entries()] == ["B"] and led.unreadable == 4


def test_reports_skip_odd_lines_and_do_not_crash(tmp_path):
    path = tmp_path / "l.jsonl"
    _odd_file(path)
    led = Ledger(path)
    led.append("reflection", "cloud", {"part": 1, "text": "fine"})
    states = led.states()
    data = report.report_json(states)
    assert data["summary"]["reflections"] == 1 and data["summary"]["predictions"] == 0
    assert "fine" in report.report_markdown(states)


def test_a_nan_line_never_blocks_later_saves(tmp_path):
    path = tmp_path / "l.jsonl"
    nan_line = (b'{"v":1,"id":"n","time":"2026-01-01T00:00:00.000Z","kind":"lock",'
                b'"track":"tiny","payload":{"part":1,"choice":"A","number":NaN}}\n')
    path.write_bytes(nan_line)
    led = Ledger(path)
    assert len(led.entries()) == 1  # the reader accepts NaN (Python's json does) ...
    led.append("reflection", "tiny", {"part": 1, "text": "after"})  # ... so the writer must
    led.append("probe", "tiny", {"part": 2, "value": float("nan")})  # a new NaN: as a string
    data = path.read_bytes()
    assert data.startswith(nan_line) and data.count(b"\n") == 3
    assert scan(data)[1] == 0
    assert json.loads(data.split(b"\n")[2])["payload"]["value"] == "nan"


def test_a_symlinked_ledger_is_resolved_once(tmp_path):
    target = tmp_path / "real" / "ledger.jsonl"
    target.parent.mkdir()
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    via_link, direct = Ledger(link), Ledger(target)
    assert via_link.path == direct.path == target and via_link.lock_path == direct.lock_path
    via_link.append("lock", "edge", {"part": 1, "choice": "A"})
    direct.append("lock", "edge", {"part": 2, "choice": "B"})
    assert link.is_symlink() and len(Ledger(link).entries()) == 2  # one file, no fork


def test_a_directory_is_refused_with_one_message(tmp_path):
    d = tmp_path / "adir"
    d.mkdir()
    with pytest.raises(RidgelineError, match="is a directory"):
        Ledger(d).check()
    with pytest.raises(RidgelineError, match="is a directory"):
        Ledger(d).append("lock", "cloud", {"part": 1, "choice": "A"})
    assert d.is_dir() and list(d.iterdir()) == []


def test_a_non_ledger_file_is_refused_and_left_untouched(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_bytes(b"my thesis, chapter 1\n")
    with pytest.raises(RidgelineError, match="not a ridgeline ledger"):
        Ledger(f).check()
    with pytest.raises(RidgelineError, match="not a ridgeline ledger"):
        Ledger(f).append("lock", "cloud", {"part": 1, "choice": "A"})
    assert f.read_bytes() == b"my thesis, chapter 1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]  # no sidecar, no aside


def test_a_label_hides_the_server_path(tmp_path):
    led = Ledger(tmp_path / "s.jsonl", label="student ada's ledger")
    assert led.shown == "student ada's ledger" and str(tmp_path) not in led.shown
    (tmp_path / "s.jsonl").write_bytes(_line("probe", "tiny", {"part": 2, "value": 3}) + b"junk\n")
    led.entries()
    assert led.shown_aside().startswith("s.jsonl.corrupt-") and "/" not in led.shown_aside()
