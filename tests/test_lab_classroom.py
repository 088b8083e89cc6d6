"""Classroom mode (issue 9): one ledger per student, no cross-talk, no server path on the page."""

from __future__ import annotations

import types

import pytest

from ridgeline.errors import RidgelineError
from ridgeline.lab import classroom as CR
from ridgeline.lab import questions as Q
from ridgeline.lab import tracks as T
from ridgeline.lab.app import app
from ridgeline.lab.ledger import Ledger


@pytest.mark.parametrize("typed, sid", [
    ("Ada Lovelace", "ada-lovelace"), ("  ADA   lovelace ", "ada-lovelace"),
    ("../../etc/passwd", "etcpasswd"), ("a/b\\c", "abc"), (".hidden", "hidden"),
    ("..", None), ("   ", None), ("", None), (None, None), (42, None),
    ("Zoë 42", "zoë-42"), ("x" * 100, "x" * 64)])
def test_student_ids_are_file_safe(typed, sid):
    assert CR.student_id(typed) == sid


def test_ledger_paths_stay_inside_the_class_directory(tmp_path):
    assert CR.ledger_path(tmp_path, "ada") == tmp_path / "ada.jsonl"
    with pytest.raises(RidgelineError, match="student ID"):
        CR.ledger_path(tmp_path, "../ada")
    led = CR.ledger_for("ada", tmp_path)
    assert led.path == (tmp_path / "ada.jsonl").resolve() and str(tmp_path) not in led.shown


def test_a_typed_id_wins_over_the_link_and_the_link_is_enough():
    assert CR.current_student("Bob", "ada") == "bob"
    assert CR.current_student(None, "ada") == "ada"
    assert CR.current_student("", ["ada"]) == "ada"
    assert CR.current_student(None, None) is None


def test_single_user_mode_is_the_default_ledger(monkeypatch, tmp_path):
    monkeypatch.delenv(CR.CLASS_DIR_ENV, raising=False)
    monkeypatch.setenv("RIDGELINE_LEDGER", str(tmp_path / "l.jsonl"))
    assert CR.lab_ledger(None).path == (tmp_path / "l.jsonl").resolve()
    monkeypatch.setenv(CR.CLASS_DIR_ENV, str(tmp_path / "class"))
    assert CR.lab_ledger(None) is None  # classroom: wait for a name
    assert CR.lab_ledger("ada").path.name == "ada.jsonl"


def _run(monkeypatch, class_dir, student):
    monkeypatch.setenv(CR.CLASS_DIR_ENV, str(class_dir))
    monkeypatch.setenv("RIDGELINE_LEDGER", str(class_dir / "must-not-be-used.jsonl"))
    defs = {"track_picker": types.SimpleNamespace(value=T.CLOUD.title)}
    if student is not None:
        defs["student"] = student
    outs, defs = app.run(defs=defs)
    return "\n".join(o.text for o in outs if hasattr(o, "text")), defs


def test_classroom_lab_waits_for_a_student(monkeypatch, tmp_path):
    html, defs = _run(monkeypatch, tmp_path, None)
    assert "student_form" in defs and "Your name or student ID" in html
    assert defs["ledger"] is None and "lock1" not in defs and "record" not in defs
    assert list(tmp_path.iterdir()) == []  # nothing written anywhere yet


def test_two_students_never_see_or_block_each_other(monkeypatch, tmp_path):
    q = Q.questions(T.CLOUD)[1]  # Part 2: a choice only
    _, ada = _run(monkeypatch, tmp_path, "ada")
    _, bob = _run(monkeypatch, tmp_path, "bob")  # both pages open before either locks
    ada["lock2"]._update({"choice": q.choices[0]})
    bob["lock2"]._update({"choice": q.choices[1]})  # not refused: his own first lock
    assert bob["get_notice"]() is None and ada["get_notice"]() is None
    ada["record"]("reflection", "cloud", {"part": 2, "text": "ada's thought"})
    got = {s: [(e["kind"], e["payload"].get("choice") or e["payload"].get("text"))
               for e in Ledger(tmp_path / f"{s}.jsonl").entries()] for s in ("ada", "bob")}
    assert got == {"ada": [("lock", q.choices[0]), ("reflection", "ada's thought")],
                   "bob": [("lock", q.choices[1])]}
    assert not (tmp_path / "must-not-be-used.jsonl").exists()
    html, bob_again = _run(monkeypatch, tmp_path, "bob")  # a reload: his lock, not ada's
    assert bob_again["locked2"]["payload"]["choice"] == q.choices[1]
    assert "ada's thought" not in html and bob_again["notes"] == {}


def test_the_page_shows_no_server_path(monkeypatch, tmp_path):
    Ledger(tmp_path / "ada.jsonl").append("probe", "cloud", {"part": 2, "value": 8})
    (tmp_path / "ada.jsonl").write_bytes((tmp_path / "ada.jsonl").read_bytes() + b"junk\n")
    html, defs = _run(monkeypatch, tmp_path, "ada")
    assert "The ledger file was damaged" in html and "ada.jsonl.corrupt-" in html
    assert "ada&#x27;s ledger on the class server" in html or "ada's ledger" in html
    assert str(tmp_path) not in html
    assert defs["ledger"].shown == "ada's ledger on the class server"


def test_a_failed_save_names_no_server_path(monkeypatch, tmp_path):
    # an OSError's text carries its file name: "[Errno 28] No space left on device: '<path>'"
    _, ada = _run(monkeypatch, tmp_path, "ada")
    target = str(tmp_path / "ada.jsonl")

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device", target)

    monkeypatch.setattr(Ledger, "append", full)
    assert ada["record"]("probe", "cloud", {"part": 2, "value": 8}) is None
    shown = ada["get_write_error"]()
    assert shown == ("Your probe was not saved to ada's ledger on the class server: "
                     "No space left on device")
    assert str(tmp_path) not in shown
    local = Ledger(tmp_path / "x.jsonl")  # the single-user lab keeps the whole message
    assert CR.shown_error(OSError(28, "No space left on device", target), local).endswith(
        f"'{target}'")
