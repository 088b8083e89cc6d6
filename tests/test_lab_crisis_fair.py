"""The crisis at the top of a track does not give Part 1's graded number away (issue #8).

Part 1's lock grades the track's Linear layer's intensity at the track's batch (questions.py:
``grade_number`` against ``part1_numbers``: within 15 % of the all-operands or the
weights-only convention). The track card (persona, mission, crisis text and table) is on the
page before that lock, so no number in it may pass that grading - and no table number may pass
it once scaled by the ratio of the graded batch (or frame count) to one the card names: a
Linear layer's intensity is ~2M / bytes for M rows, so 'intensity 2.00 at batch 1' gives
'8.00 at batch 4' by proportion.
"""

from __future__ import annotations

import html
import re

import pytest

from ridgeline.hardware import get_hardware
from ridgeline.lab import questions as Q
from ridgeline.lab import tracks as T
from ridgeline.lab import views as V

KEYS = sorted(T.TRACKS)
#: a number as written, not a digit inside a name ('fp8', 'H100', 'features.17')
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
_COUNTS = {"batch": re.compile(r"\bbatch (\d[\d,]*)"),
           "frames": re.compile(r"\b(\d[\d,]*) frames?\b")}


def card(t, crisis: dict | None = None) -> str:
    """The track card as the page shows it above the locks, HTML entities decoded."""
    crisis = T.crisis(t) if crisis is None else crisis
    return html.unescape(V.track_markdown(t, get_hardware(t.hardware).name, crisis))


def numbers(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in _NUMBER.findall(text)]


def table_values(text: str) -> list[float]:
    """The value column of the crisis table (the rows under its header)."""
    rows = [line for line in text.splitlines() if line.startswith("|")][2:]
    return [v for row in rows for v in numbers(row.rstrip(" |").rsplit("|", 1)[1])]


def ratios(t, text: str) -> list[float]:
    """Graded count / shown count for every batch size or frame count the card names that is
    not the graded one (Part 1 grades at part1_shape's batch and the track's frames)."""
    graded = {"batch": Q.part1_shape(t)["batch"], "frames": T.workload_kwargs(t).get("frames")}
    out = set()
    for kind, pattern in _COUNTS.items():
        for shown in pattern.findall(text):
            n = int(shown.replace(",", ""))
            if graded[kind] and n and n != graded[kind]:
                out.add(graded[kind] / n)
    return sorted(out)


def leaks(t, text: str) -> list[str]:
    """Every number of ``text`` that Part 1's grading accepts as the Linear's intensity, as is
    or scaled by a ratio of counts (table values)."""
    nums = Q.part1_numbers(t)
    out = [f"{x:g}" for x in numbers(text) if Q.grade_number(x, nums)]
    return out + [f"{x:g} x {r:g}" for x in table_values(text) for r in ratios(t, text)
                  if Q.grade_number(x * r, nums)]


@pytest.mark.parametrize("key", KEYS)
def test_no_number_above_part1s_lock_passes_its_grading(key):
    t = T.TRACKS[key]
    text = card(t)
    assert len(table_values(text)) == len(T.crisis(t))  # every row's value is read
    assert not leaks(t, text), (key, leaks(t, text))


def test_the_counts_the_cards_name_are_read():
    # Cloud's card names batch 1 and 256 (graded at batch 4): ratios 4/256 and 4/1;
    # Tiny's names 1 and 8 frames (graded at 1 frame): ratio 1/8
    assert ratios(T.TRACKS["cloud"], card(T.TRACKS["cloud"])) == [4 / 256, 4 / 1]
    assert ratios(T.TRACKS["tiny"], card(T.TRACKS["tiny"])) == [1 / 8]


@pytest.mark.parametrize("key", KEYS)
def test_the_check_catches_the_linear_layers_intensity_directly_or_by_proportion(key):
    t = T.TRACKS[key]
    lin = Q.part1_numbers(t)["linear_intensity"]
    # the graded number itself, as a row would show it
    shown = dict(T.crisis(t), **{f"{t.linear_layer} intensity": lin})
    assert leaks(t, card(t, shown))
    # the old Cloud row: the Linear at batch 1 (engine: ~2 FLOP/B), 4 x that = batch 4's answer
    b = Q.part1_shape(t)["batch"]
    one = float(T.track_profile(t, batch=1).layer(t.linear_layer).intensity)
    if b != 1:
        assert not Q.grade_number(one, Q.part1_numbers(t))
    shown = dict(T.crisis(t), **{f"{t.linear_layer} intensity, batch {2 * b}": 2 * one * b})
    assert leaks(t, card(t, shown))
