"""Part 3's widgets start from the last submitted design, and Tiny's frames have one control."""

import pytest

from ridgeline.lab import challenge as C
from ridgeline.lab import entries, views
from ridgeline.lab.tracks import TRACKS


@pytest.mark.parametrize("key", sorted(TRACKS))
def test_restored_design_is_the_submitted_one(key):
    t = TRACKS[key]
    passing = next(d for d in C.enumerate_designs(t) if d.passes)
    fresh = views.restored_design(t, None)
    assert fresh["choices"] == {s.name: C.starting_design(t)[s.name] for s in C.toolkit_slots(t)}
    assert fresh["floor"] == t.intensity_floor
    payload = entries.design_payload(passing, fresh["batch"], fresh["scale"], 7.5)
    back = views.restored_design(t, {"payload": payload})
    assert back["choices"] == {s.name: passing.choices[s.name] for s in C.toolkit_slots(t)}
    assert (back["batch"], back["scale"], back["floor"]) == (fresh["batch"], fresh["scale"], 7.5)
    # re-evaluating what the widgets now hold gives the submitted verdict
    again = C.evaluate_design(t, back["choices"], back["batch"], back["scale"], back["floor"])
    assert again.passes == C.evaluate_design(t, passing.choices, fresh["batch"], fresh["scale"],
                                             7.5).passes


def test_restored_design_ignores_values_the_widgets_cannot_hold():
    t = TRACKS["cloud"]
    junk = {"payload": {"choices": {"Precision": "fp64", "nope": "x"}, "batch": 3.5,
                        "scale": -1, "floor": "high"}}
    assert views.restored_design(t, junk) == views.restored_design(t, None)


def test_tiny_frames_have_one_control_in_part3():
    t = TRACKS["tiny"]
    names = {s.name for s in C.toolkit_slots(t)}
    assert C.FRAMES_SLOT not in names and C.slider_slots(t) == {C.FRAMES_SLOT}
    assert t.scale_param == "frames"
    # the frames slider alone decides: a passing mix found by the solver passes via the slider
    passing = next(d for d in C.enumerate_designs(t) if d.passes)
    frames = int(passing.choices[C.FRAMES_SLOT])
    toolkit = {k: v for k, v in passing.choices.items() if k in names}
    assert C.evaluate_design(t, toolkit, scale=frames).passes
    for other in (TRACKS["cloud"], TRACKS["edge"], TRACKS["mobile"]):
        assert C.toolkit_slots(other) == C.slots(other)
