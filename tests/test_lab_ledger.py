"""The lab ledger: round trips, restore rules, hostile text, concurrency, kills and corruption."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ridgeline.errors import RidgelineError
from ridgeline.lab.ledger import Ledger, default_path, parse

HOSTILE = [
    "</script><script>alert(1)</script>",
    "<b>bold</b> **markdown** `code` $x^2$ | table | [link](javascript:alert(1))",
    "line one\nline two\r\nline three\u2028after U+2028\u2029after U+2029",
    "émoji 🚀 中文 العربية \u0000 nul",
    "x" * 200_000,  # a very long reflection
    "",
]


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_bytes().split(b"\n") if x]


def test_append_round_trip_one_json_object_per_line(tmp_path):
    led = Ledger(tmp_path / "sub" / "ledger.jsonl")  # the directory is created on first write
    e1 = led.append("lock", "cloud", {"part": 1, "choice": "Linear", "number": 42.5})
    e2 = led.append("probe", "cloud", {"part": 2, "value": 512, "answer": "memory"})
    assert [e["id"] for e in led.entries()] == [e1["id"], e2["id"]]
    stored = lines(led.path)
    assert len(stored) == 2 and stored[0]["payload"]["number"] == 42.5
    assert stored[0]["kind"] == "lock" and stored[0]["track"] == "cloud"
    assert stored[0]["time"].endswith("Z")


def test_first_lock_per_part_wins_and_is_not_written_twice(tmp_path):
    led = Ledger(tmp_path / "l.jsonl")
    first = led.append("lock", "edge", {"part": 1, "choice": "A"})
    second = led.append("lock", "edge", {"part": 1, "choice": "B"})
    assert second["id"] == first["id"] and second["payload"]["choice"] == "A"
    other_part = led.append("lock", "edge", {"part": 2, "choice": "B"})
    other_track = led.append("lock", "tiny", {"part": 1, "choice": "B"})
    assert len(lines(led.path)) == 3  # the refused lock left no line behind
    assert led.state("edge")["locks"][2]["id"] == other_part["id"]
    assert led.state("tiny")["locks"][1]["id"] == other_track["id"]


def test_state_restores_after_restart_and_keeps_tracks_apart(tmp_path):
    path = tmp_path / "l.jsonl"
    led = Ledger(path)
    led.append("lock", "mobile", {"part": 1, "choice": "A"})
    for v in (64, 128, 256):
        led.append("probe", "mobile", {"part": 2, "value": v})
    led.append("design", "mobile", {"choices": {"block": "dw"}})
    led.append("design", "mobile", {"choices": {"block": "std"}})
    led.append("reflection", "mobile", {"part": 1, "text": "draft"})
    led.append("reflection", "mobile", {"part": 1, "text": "final"})
    led.append("reflection", "cloud", {"part": 1, "text": "other track"})

    restored = Ledger(path).state("mobile")  # a new process/kernel sees the same progress
    assert list(restored["locks"]) == [1]
    assert [p["payload"]["value"] for p in restored["probes"]] == [64, 128, 256]
    assert restored["design"]["payload"]["choices"] == {"block": "std"}
    assert len(restored["designs"]) == 2
    assert restored["reflections"][1]["payload"]["text"] == "final"
    assert set(Ledger(path).states()) == {"mobile", "cloud"}
    assert Ledger(path).state("tiny")["locks"] == {}


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_round_trips_exactly(tmp_path, text):
    led = Ledger(tmp_path / "l.jsonl")
    led.append("reflection", "cloud", {"part": 3, "text": text})
    led.append("probe", "cloud", {"part": 2, "value": 1})  # a line after it still parses
    assert Ledger(led.path).state("cloud")["reflections"][3]["payload"]["text"] == text
    _, bad = parse(led.path.read_bytes())
    assert bad == 0


@settings(max_examples=40, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_round_trips(tmp_path_factory, text):
    led = Ledger(tmp_path_factory.mktemp("h") / "l.jsonl")
    led.append("reflection", "tiny", {"part": 1, "text": text})
    assert led.entries()[0]["payload"]["text"] == text


def test_numpy_and_non_finite_numbers_become_strict_json(tmp_path):
    led = Ledger(tmp_path / "l.jsonl")
    e = led.append("design", "cloud", {"intensity": np.float64(8.5), "n": np.int64(3),
                                       "arr": np.arange(3), "t": float("inf")})
    assert e["payload"] == {"intensity": 8.5, "n": 3, "arr": [0, 1, 2], "t": "inf"}
    json.loads(led.path.read_text(), parse_constant=pytest.fail)  # no bare Infinity/NaN


def test_bad_kind_track_or_payload_is_a_clear_error(tmp_path):
    led = Ledger(tmp_path / "l.jsonl")
    with pytest.raises(RidgelineError, match="kind"):
        led.append("delete", "cloud", {})
    with pytest.raises(RidgelineError, match="track"):
        led.append("lock", "", {"part": 1})
    with pytest.raises(RidgelineError, match="payload"):
        led.append("lock", "cloud", ["part", 1])
    assert not led.path.exists()


def test_default_path_honours_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RIDGELINE_LEDGER", str(tmp_path / "x.jsonl"))
    assert default_path() == tmp_path / "x.jsonl"
    assert Ledger().path == tmp_path / "x.jsonl"
    monkeypatch.delenv("RIDGELINE_LEDGER")
    assert default_path() == Path.home() / ".ridgeline" / "ledger.jsonl"


# -- corruption ------------------------------------------------------------------------------

def test_corrupt_file_is_kept_aside_and_readable_entries_carried_over(tmp_path):
    path = tmp_path / "l.jsonl"
    led = Ledger(path)
    good = led.append("lock", "cloud", {"part": 1, "choice": "A"})
    damaged = path.read_bytes() + b'{"not": "an entry"}\n\x00\xff garbage\n{"id": "torn'
    path.write_bytes(damaged)

    fresh = Ledger(path)
    assert [e["id"] for e in fresh.entries()] == [good["id"]]
    aside = Path(fresh.recovered_from)
    assert aside.name.startswith("l.jsonl.corrupt-")
    assert aside.read_bytes() == damaged  # kept byte for byte, never overwritten
    assert fresh.recovered_entries == 1
    _, bad = parse(path.read_bytes())
    assert bad == 0
    fresh.append("probe", "cloud", {"part": 2, "value": 8})
    assert len(Ledger(path).entries()) == 2
    assert aside.read_bytes() == damaged


def test_corruption_found_during_append_is_also_kept_aside(tmp_path):
    path = tmp_path / "l.jsonl"
    Ledger(path).append("probe", "tiny", {"part": 2, "value": 4})
    damaged = path.read_bytes() + b"this is not json\n"
    path.write_bytes(damaged)
    led = Ledger(path)
    led.append("lock", "tiny", {"part": 1, "choice": "A"})
    assert led.recovered_from is not None
    assert Path(led.recovered_from).read_bytes() == damaged
    assert len(Ledger(path).entries()) == 2


def test_two_repairs_in_one_second_keep_both_corrupt_files(tmp_path):
    path = tmp_path / "l.jsonl"
    kept = set()
    Ledger(path).append("probe", "tiny", {"part": 2, "value": 4})
    entry = path.read_bytes()
    for junk in (b"junk one\n", b"junk two\n"):
        path.write_bytes(entry + junk)
        led = Ledger(path)
        led.entries()
        kept.add(led.recovered_from)
    assert len(kept) == 2
    assert {Path(k).read_bytes() for k in kept} == {entry + b"junk one\n", entry + b"junk two\n"}


# -- concurrency and kills -------------------------------------------------------------------

def _writer(path: str, tag: str, n: int) -> None:
    led = Ledger(path)
    for i in range(n):
        led.append("probe", "cloud", {"part": 2, "writer": tag, "i": i})


def test_concurrent_processes_lose_no_entries(tmp_path):
    path = str(tmp_path / "l.jsonl")
    writers, per_writer = 4, 25
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters, like separate kernels
    procs = [ctx.Process(target=_writer, args=(path, f"w{k}", per_writer)) for k in range(writers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    entries = Ledger(path).entries()
    assert len(entries) == writers * per_writer  # 4 x 25 = 100, none overwritten
    for k in range(writers):  # each writer's entries stay in its own order
        mine = [e["payload"]["i"] for e in entries if e["payload"]["writer"] == f"w{k}"]
        assert mine == list(range(per_writer))


KILL_LOOP = """
import sys
from ridgeline.lab.ledger import Ledger
led = Ledger(sys.argv[1])
blob = "y" * 400_000  # big entries make the kill likely to land mid-write
i = 0
while True:
    led.append("reflection", "edge", {"part": 1, "i": i, "text": blob})
    i += 1
"""


def test_kill_mid_write_never_leaves_a_torn_file(tmp_path):
    path = tmp_path / "l.jsonl"
    counts = []
    for delay in (0.4, 0.7, 0.55, 0.9, 0.65):
        proc = subprocess.Popen([sys.executable, "-c", KILL_LOOP, str(path)])
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        good, bad = parse(path.read_bytes()) if path.exists() else ([], 0)
        assert bad == 0, "a kill left a torn or partial line"
        counts.append(len(good))
    assert counts == sorted(counts)  # entries only ever accumulate
    led = Ledger(path)
    led.append("probe", "edge", {"part": 2, "value": 1})  # the next writer cleans up
    assert led.recovered_from is None
    assert not list(tmp_path.glob(".l.jsonl.*.tmp"))
    assert len(led.entries()) == counts[-1] + 1


def test_entries_read_while_writing_are_always_whole(tmp_path):
    path = tmp_path / "l.jsonl"
    Ledger(path).append("probe", "edge", {"part": 2, "value": 0})
    proc = subprocess.Popen([sys.executable, "-c", KILL_LOOP, str(path)])
    try:
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            _, bad = parse(path.read_bytes())
            assert bad == 0
    finally:
        proc.kill()
        proc.wait()

