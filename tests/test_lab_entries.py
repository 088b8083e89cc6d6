"""The ledger entry shapes (lab/entries.py): what the notebook records, built one way."""

from ridgeline.lab import entries as E
from ridgeline.lab import questions as Q
from ridgeline.lab.challenge import evaluate_design, starting_design
from ridgeline.lab.workbench import new_game


def test_probe_payload_records_the_engine_answer_and_counts():
    game = new_game("edge")
    p = E.probe_payload(game, 1000)
    after = game.probe(1000)
    assert p == {"part": 2, "param": game.param, "layer": game.layer, "value": 1000,
                 "answer": after.probes[-1][1], "index": 1}
    assert E.probe_payload(game, game.hi * 10) is None     # outside the range: nothing stored
    assert E.probe_payload(game, None) is None


def test_replay_rebuilds_the_game_and_skips_what_it_cannot_replay():
    game = new_game("tiny")
    entries = [{"payload": E.probe_payload(game, v)} for v in (2, 8)]
    entries.insert(1, {"payload": {"part": 2, "value": "not a number"}})
    entries.append({"payload": {}})
    replayed = E.replay("tiny", entries)
    assert [v for v, _ in replayed.probes] == [2, 8] and replayed.used == 2


def test_lock_payload_is_graded_and_a_grading_error_is_kept_not_raised():
    q = Q.questions("mobile")[1]
    p = E.lock_payload("mobile", q, q.choices[0])
    assert p["part"] == 2 and p["question"] == q.key and p["correct"] in (True, False)
    bad = E.lock_payload("mobile", q, "a choice that is not offered")
    assert bad["correct"] is None and "choice must be one of" in bad["grading_error"]


def test_design_payload_holds_the_choices_and_the_numbers():
    r = evaluate_design("mobile", starting_design("mobile"))
    p = E.design_payload(r, 1, 640, r.floor)
    assert p["part"] == 3 and p["choices"] == r.choices and p["result"]["power_w"] == r.power_w
    assert E.reflection_payload(3, "text") == {"part": 3, "text": "text"}
