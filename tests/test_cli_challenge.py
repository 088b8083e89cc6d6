"""`ridgeline challenge TRACK`: the lab's Part 3 answer key, the same numbers as the lab."""

from __future__ import annotations

import json

import pytest

from ridgeline import cli
from ridgeline.lab import challenge as C
from ridgeline.lab.tracks import TRACKS


def run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("key", sorted(TRACKS))
def test_json_is_the_labs_numbers(capsys, key):
    rc, out, err = run(capsys, "challenge", key, "--json")
    assert rc == 0 and err == ""
    d = json.loads(out)
    assert set(d) == {"track", "floor", "power_budget_w", "time_budget_s", "ridge", "start",
                      "designs", "frontier"}
    t = TRACKS[key]
    start = C.evaluate_design(t, C.starting_design(t))
    assert d["start"]["power_w"] == pytest.approx(start.power_w)
    assert d["start"]["intensity"] == pytest.approx(start.intensity)   # arithmetic, graded
    assert d["start"]["passes"] == start.passes and d["start"]["reasons"] == start.reasons
    assert len(d["designs"]) == len(C.all_choices(t))
    assert d["floor"] == t.intensity_floor and d["power_budget_w"] == t.power_budget_w
    for design in d["designs"]:
        assert set(design) == {"choices", "energy_j", "power_w", "intensity", "time_s", "bound",
                               "passes", "reasons"}
        assert design["passes"] == (not design["reasons"])
        assert design["bound"] in ("memory", "compute")
    # the frontier: no design has both lower energy and higher intensity than a frontier point
    for f in d["frontier"]:
        assert not any(o["energy_j"] < f["energy_j"] and o["intensity"] > f["intensity"]
                       for o in d["designs"])


def test_table_shows_start_frontier_and_passing(capsys):
    rc, out, _ = run(capsys, "challenge", "edge")
    assert rc == 0
    for title in ("start:", "frontier (lowest energy for its intensity):", "every passing mix:"):
        assert title in out
    assert "design = layer1 3x3 convs · layer2 3x3 convs" in out


def test_unknown_track_is_one_line_exit_2(capsys):
    rc, out, err = run(capsys, "challenge", "warp")
    assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and "cloud" in err
