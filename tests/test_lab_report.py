"""The lab report: JSON and Markdown from the ledger, graded, complete, and safe for any text."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ridgeline.format import format_si
from ridgeline.lab import challenge as C
from ridgeline.lab import entries as E
from ridgeline.lab import questions as Q
from ridgeline.lab import tracks as T
from ridgeline.lab.ledger import Ledger
from ridgeline.lab.report import fenced, md_cell, report_json, report_json_bytes, report_markdown

HOSTILE = "</script><script>alert(1)</script> **bold** | pipe | ```fence``` $x$ \u2028 🚀\nline 2"


def right_and_wrong(track, part):
    """The computed answer of a part (from questions.reveal) and one wrong choice."""
    q = Q.questions(track)[part - 1]
    right = Q.reveal(track, part, q.choices[0], 1.0).computed["choice"]
    wrong = next(c for c in q.choices if c != right)
    return right, wrong


def lock(led, track, part, choice, number=None, grade=True):
    payload = {"part": part, "question": f"p{part}", "prompt": f"prompt {part}",
               "choice": choice, "number": number}
    if grade:
        rv = Q.reveal(track, part, choice, number)
        payload.update(correct=rv.correct, computed=rv.computed)
    return led.append("lock", track.key, payload)


@pytest.fixture
def filled(tmp_path):
    """A ledger with Cloud complete (right, wrong, right) and Tiny with one ungraded lock."""
    led = Ledger(tmp_path / "l.jsonl")
    cloud, tiny = T.get_track("cloud"), T.get_track("tiny")
    r1, _ = right_and_wrong(cloud, 1)
    number = Q.part1_numbers(cloud)["linear_intensity"]  # the engine's own intensity: right
    lock(led, cloud, 1, r1, number)
    _, w2 = right_and_wrong(cloud, 2)
    lock(led, cloud, 2, w2)
    r3, _ = right_and_wrong(cloud, 3)
    lock(led, cloud, 3, r3)
    for v in (16, 256, 300, 320, 1024):
        led.append("probe", "cloud", {"part": 2, "value": v, "answer": "memory"})
    first = C.evaluate_design(cloud, C.starting_design(cloud))
    led.append("design", "cloud", E.design_payload(first, None, None, 20))
    final = C.evaluate_design(cloud, C.starting_design(cloud), batch=64)
    led.append("design", "cloud", E.design_payload(final, 64, None, 20))
    led.append("reflection", "cloud", {"part": 3, "text": HOSTILE})
    r1t, _ = right_and_wrong(tiny, 1)
    lock(led, tiny, 1, r1t, 12345.0, grade=False)  # stored without a verdict: graded now
    return led, final


def test_json_holds_every_prediction_probe_design_and_reflection(filled):
    led, final = filled
    rep = report_json(led.states())
    assert rep["summary"] == {"tracks": 2, "predictions": 4, "correct": 2, "probes": 5,
                              "designs": 1, "reflections": 1}
    cloud = next(t for t in rep["tracks"] if t["track"] == "cloud")
    assert cloud["title"] == "Cloud Titan" and cloud["hardware"] == "h100-sxm"
    assert [p["part"] for p in cloud["predictions"]] == [1, 2, 3]
    assert [p["correct"] for p in cloud["predictions"]] == [True, False, True]
    locks = led.state("cloud")["locks"]
    assert [p["locked_at"] for p in cloud["predictions"]] == [locks[i]["time"] for i in (1, 2, 3)]
    assert [p["value"] for p in cloud["probes"]] == [16, 256, 300, 320, 1024]
    # the final design is the last one submitted, with the numbers it had
    assert cloud["designs_submitted"] == 2 and cloud["design"]["batch"] == 64
    for k in ("power_w", "intensity", "time_s", "energy_j", "flops", "bytes"):
        assert cloud["design"]["result"][k] == pytest.approx(getattr(final, k))
    assert cloud["design"]["result"]["passes"] == final.passes
    assert cloud["reflections"] == [{"part": 3, "text": HOSTILE,
                                     "saved_at": led.state("cloud")["reflections"][3]["time"]}]


def test_a_lock_stored_without_a_verdict_is_graded_from_the_engine(filled):
    led, _ = filled
    tiny = next(t for t in report_json(led.states())["tracks"] if t["track"] == "tiny")
    (pred,) = tiny["predictions"]
    # 12345 op/B is far from the Tiny Linear layer's intensity, so the lock is wrong as a whole
    assert pred["correct"] is False
    assert pred["computed"]["choice_correct"] is True
    assert pred["computed"]["number_correct"] is False


def test_json_bytes_are_strict_json_and_round_trip(filled):
    led, _ = filled
    data = report_json_bytes(led.states())
    parsed = json.loads(data.decode("utf-8"), parse_constant=pytest.fail)
    assert parsed["tracks"][0]["reflections"][0]["text"] == HOSTILE


def test_unknown_track_and_empty_ledger_still_report(tmp_path):
    assert report_json({})["summary"]["predictions"] == 0
    assert "Nothing recorded yet" in report_markdown({})
    led = Ledger(tmp_path / "l.jsonl")
    led.append("reflection", "retired-track", {"part": 1, "text": "old"})
    rep = report_json(led.states())
    assert rep["tracks"][0]["title"] == "retired-track"
    assert "retired\\-track" in report_markdown(led.states())


def test_markdown_has_every_section_and_keeps_student_text_inert(filled):
    led, final = filled
    md = report_markdown(led.states())
    for text in ("# ridgeline lab report", "## Cloud Titan", "## Tiny Pioneer", "### Predictions",
                 "### Probes (5-move rule)", "### Final design", "### Reflections",
                 "PASS" if final.passes else "FAIL"):
        assert text in md
    # the final design's numbers, with units (the last submitted design, not the first)
    assert f"| Power at the required rate | {format_si(final.power_w, 'W')} |" in md
    assert f"| Bytes moved | {format_si(final.bytes, 'B')} |" in md
    assert "| batch | 64 |" in md
    # the reflection sits verbatim inside a fence longer than its own ``` run
    fence = "````"
    start = md.index(fence + "text\n") + len(fence + "text\n")
    assert md[start:md.index("\n" + fence, start)] == HOSTILE
    assert md.count("<script>") == HOSTILE.count("<script>")  # only inside the fence


def test_prediction_rows_have_one_cell_per_column_whatever_the_choice_text(tmp_path):
    led = Ledger(tmp_path / "l.jsonl")
    led.append("lock", "cloud", {"part": 2, "choice": "a | b\nc", "correct": False,
                                 "prompt": "p | q"})
    md = report_markdown(led.states())
    row = next(line for line in md.splitlines() if line.startswith("| 2 |"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 7  # 6 columns -> 7 unescaped pipes


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=80))
def test_fenced_text_cannot_close_its_fence(text):
    block = fenced(text)
    fence = block.split("text\n", 1)[0]
    assert block == f"{fence}text\n{text}\n{fence}"
    assert fence not in text


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=80))
def test_table_cells_never_split_a_row(text):
    cell = md_cell(text)
    assert "\n" not in cell
    assert not re.search(r"(?<!\\)\|", cell)
