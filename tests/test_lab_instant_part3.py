"""Part 3's instant toolkit: the table holds, for every mix of the slots, the engine's verdict
(challenge.evaluate_design: power, intensity, the verdict and its reasons, written as
views.design_markdown writes them) and the marker at the engine's point; the index is the
mix's mixed-radix position; the widget keeps the mix across workloads; its JavaScript ships
in the package, is small and only looks rows up."""

from __future__ import annotations

import fnmatch
import html
import importlib.resources
import itertools
import json
import re
import tomllib
from pathlib import Path

import markdown
import pytest

from ridgeline.format import format_ratio, format_si
from ridgeline.lab import challenge as C
from ridgeline.lab import views
from ridgeline.lab.instant_part3 import InstantMix, marker, mix_index, mix_table, summary
from ridgeline.lab.tracks import TRACKS

ROOT = Path(__file__).resolve().parents[1]
KEYS = sorted(TRACKS)
#: mixes per track (Tiny: per frames value; its frames are the scale slider)
MIXES = {"cloud": 12, "edge": 48, "mobile": 384, "tiny": 72}


@pytest.fixture(scope="module", params=KEYS)
def track_table(request):
    t = TRACKS[request.param]
    return t, mix_table(t)


def _start(t):
    return (views.slider_args(t, "batch", part=3)["value"],
            views.slider_args(t, t.scale_param, part=3)["value"])


def test_one_row_per_mix_in_mixed_radix_order(track_table):
    t, tab = track_table
    _, scale = _start(t)
    slots = C.toolkit_slots(t)
    assert [s["name"] for s in tab.slots] == [s.name for s in slots]
    assert [s["choices"] for s in tab.slots] == [list(s.choices) for s in slots]
    assert len(tab.rows) == MIXES[t.key] == len(C.all_choices(t, scale))
    names = [s.name for s in slots]
    # challenge.all_choices' order (the last slot varies fastest) is the index
    assert [dict(c) for c in tab.choices] == [{n: c[n] for n in names}
                                             for c in C.all_choices(t, scale)]
    sizes = [len(s.choices) for s in slots]
    for i, (row, pick) in enumerate(zip(tab.rows, itertools.product(*map(range, sizes)))):
        assert row["pick"] == list(pick) and mix_index(sizes, pick) == i
        assert tab.index_of(tab.choices[i]) == i
    assert tab.choices[tab.start] == {n: C.starting_design(t)[n] for n in names}


def test_every_row_is_the_engines_verdict(track_table):
    t, tab = track_table
    batch, scale = _start(t)
    designs = C.enumerate_designs(t, batch, scale)
    for row, choices, mine, listed in zip(tab.rows, tab.choices, tab.results, designs):
        r = C.evaluate_design(t, choices, batch, scale)
        assert (r.power_w, r.intensity, r.passes) == (mine.power_w, mine.intensity, mine.passes)
        assert (r.power_w, r.intensity, r.passes) == (listed.power_w, listed.intensity,
                                                     listed.passes)
        card, u = html.unescape(row["card"]), r.work_unit
        assert f"Status: {'PASS' if r.passes else 'FAIL'}" in card
        assert f"Status: {'FAIL' if r.passes else 'PASS'}" not in card
        for text in (format_si(r.power_w, "W"), format_ratio(r.intensity, f"{u}/B"),
                     format_si(r.time_s, "s"), format_si(r.energy_j, "J"),
                     format_si(r.flops, u), format_si(r.bytes, "B"), *r.reasons):
            assert text in card, (t.key, choices, text)
        assert row["card"].count("<li>") == len(r.reasons)
        # exactly the kernel's card: views.design_markdown rendered, layout whitespace aside
        want = markdown.markdown(views.design_markdown(r, t), extensions=["tables"])
        assert _text(row["card"]) == _text(want)
        verdict = "PASS" if r.passes else "FAIL ("
        assert row["label"].startswith(verdict) and format_si(r.power_w, "W") in row["label"]


def _text(fragment: str) -> str:
    """The text of an HTML fragment, one line per element's text."""
    return "\n".join(t.strip() for t in re.split(r"<[^>]+>", fragment) if t.strip())


def test_markers_sit_at_the_engines_point(track_table):
    t, tab = track_table
    ax = tab.axes
    for row, r in zip(tab.rows, tab.results):
        assert row["marker"] == pytest.approx([ax.x(r.intensity), ax.y(r.power_w)], abs=0.06)
        assert ax.x_lo < r.intensity < ax.x_hi and ax.y_lo < r.power_w < ax.y_hi
    # the scatter: a dot per mix, a halo per passing mix, one movable marker at the start
    assert tab.svg.count('r="3.5"') == len(tab.rows)
    assert tab.svg.count('r="9"') == sum(r.passes for r in tab.results)
    assert tab.svg.count("data-m=") == 1
    x, y = tab.rows[tab.start]["marker"]
    assert f'data-m="0" transform="translate({x} {y})"' in tab.svg
    floor = format_ratio(tab.results[0].floor, tab.results[0].work_unit + "/B")
    assert f"floor {floor}" in tab.svg and f"budget {format_si(t.power_budget_w, 'W')}" in tab.svg


def test_other_workloads_and_every_tiny_frames_value():
    t = TRACKS["cloud"]
    tab = mix_table(t, 64, 4096)
    for row, c in zip(tab.rows, tab.choices):
        r = C.evaluate_design(t, c, 64, 4096)
        assert format_si(r.power_w, "W") in html.unescape(row["card"])
    tiny = TRACKS["tiny"]
    for frames in views.slider_args(tiny, "frames", part=3)["steps"][:3]:
        tab = mix_table(tiny, None, frames)
        assert len(tab.rows) == MIXES["tiny"]
        r = C.evaluate_design(tiny, tab.choices[-1], None, frames)
        assert r.choices[C.FRAMES_SLOT] == str(frames)
        assert (tab.results[-1].power_w, tab.results[-1].passes) == (r.power_w, r.passes)


def test_table_sizes():
    """What the widget is sent per workload (Mobile's 384 mixes are the most)."""
    sizes = {k: len(json.dumps(list(mix_table(k).rows))) + len(mix_table(k).svg) for k in KEYS}
    assert sizes["mobile"] == max(sizes.values()) and sizes["mobile"] < 600_000, sizes
    assert all(v < 200_000 for k, v in sizes.items() if k != "mobile"), sizes


def test_index_of_and_saved_indexes():
    tab = mix_table("cloud")
    assert tab.index_of(None) == tab.start == tab.index_of({"KV heads": "nonsense"})
    last = {s["name"]: s["choices"][-1] for s in tab.slots}
    assert tab.index_of(last) == len(tab.rows) - 1
    assert tab.parse("3") == 3 and tab.parse(None) == tab.start
    assert tab.parse("99") == tab.start and tab.parse("x", 5) == 5 and tab.parse("-1", 2) == 2


def test_widget_keeps_the_mix_across_workloads():
    t = TRACKS["cloud"]
    w = InstantMix(mix_table(t))
    assert w.current_choices() == mix_table(t).choices[mix_table(t).start]
    assert w.slots == [dict(s) for s in mix_table(t).slots] and w.table[0]["pick"] == [0, 0, 0]
    w.index = 7
    chosen = w.current_choices()
    w.show(mix_table(t, 64))  # the batch moved: same mix, new numbers
    assert w.index == 7 and w.current_choices() == chosen
    assert w.table[7]["card"] != mix_table(t).rows[7]["card"]
    w.show(mix_table(t), index=99)
    assert w.index == len(w.table) - 1


# -- the JavaScript --------------------------------------------------------------------------

JS = importlib.resources.files("ridgeline.lab").joinpath("static/instant_mix.js")
CSS = importlib.resources.files("ridgeline.lab").joinpath("static/instant_mix.css")


def _code_only(src: str) -> str:
    src = re.sub(r"//[^\n]*", "", src)
    return re.sub(r"`[^`]*`|'[^'\n]*'|\"[^\"\n]*\"", '""', src)


def test_js_ships_in_the_package_and_is_small():
    assert JS.is_file() and CSS.is_file()
    # 6.3 kB since the workload range inputs joined the selects (Part 3); a budget, not a goal
    assert len(JS.read_bytes()) < 8_000 and len(CSS.read_bytes()) < 3_000
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    for rel in ("lab/static/instant_mix.js", "lab/static/instant_mix.css"):
        assert any(fnmatch.fnmatch(rel, pat) for pat in data["ridgeline"]), data
    assert "import " not in _code_only(JS.read_text()) and "http" not in JS.read_text()


def test_js_only_looks_rows_up():
    code = _code_only(JS.read_text())
    assert not re.search(r"[*/%]|Math\.|parseFloat|parseInt|Number\(", code)
    ops = re.findall(r"[\w.\]\)]+\s*[-+]\s*[\w.(]+", code)
    assert ops == ["k + 1"], ops  # the saved-echo queue's bookkeeping, nothing else
    # the row is found by its picks and workload stops, never computed from them
    assert "byKey.get(" in code and "row.pick.join(" in code


def test_selects_are_labelled_and_the_change_is_announced():
    src = JS.read_text()
    assert 'createElement("label")' in src and 'control("select"' in src
    assert 'type: "range"' in src and '"aria-label": w.name' in src and "aria-valuetext" in src
    assert "<fieldset><legend>" in src and 'aria-live="polite"' in src
    assert "const WAIT_MS = 150;" in src  # the debounce of the save to Python


@pytest.mark.parametrize("key", KEYS)
def test_before_a_submission_the_scatter_shows_only_your_design(key):
    """The other mixes (and which pass) appear only after a design is submitted."""
    hidden = mix_table(key, reveal=False)
    assert hidden.svg.count('r="3.5"') == 0 and hidden.svg.count('r="9"') == 0
    assert hidden.svg.count("data-m=") == 1 and "every mix appears after you submit" in hidden.svg
    assert "effective ridge" not in mix_table(key).svg   # level ridges only: no pile of labels


# -- Part 3's workload sliders: the table centred on a mix and a workload ---------------------

@pytest.mark.parametrize("key", KEYS)
def test_a_centred_table_holds_every_mix_here_and_the_mix_at_every_slider_stop(key):
    from ridgeline.lab.instant_part3 import workload_sliders
    t = TRACKS[key]
    mix = C.starting_design(t)
    tab = mix_table(t, reveal=False, along=mix)
    n = len(tab.choices)
    (bw, sw), (b_stops, s_stops) = workload_sliders(t)
    assert [w["name"] for w in tab.work] == ["Batch", t.scale_label] and tab.stops == (b_stops, s_stops)
    ci, cj = tab.center
    assert (b_stops[ci], s_stops[cj]) == (views.slider_default(t, "batch", part=3),
                                          views.slider_default(t, t.scale_param, part=3))
    # every mix at the centre: row i is mix i
    assert [r["mix"] for r in tab.rows[:n]] == list(range(n))
    assert all(r["at"] == [ci, cj] for r in tab.rows[:n])
    # then the start mix along each slider, the other at the centre: one row per other stop
    along = tab.rows[n:]
    assert len(along) == (len(b_stops) - 1) + (len(s_stops) - 1)
    assert {tuple(r["at"]) for r in along} == {(i, cj) for i in range(len(b_stops)) if i != ci} | {
        (ci, j) for j in range(len(s_stops)) if j != cj}
    for r in along[:: max(1, len(along) // 6)]:   # each row is the engine's verdict there
        i, j = r["at"]
        d = C.evaluate_design(t, mix, b_stops[i], s_stops[j])
        assert r["mix"] == tab.start and r["marker"] == marker(tab.axes, d)
        # off the graded workload the card and the line say so (the mission's is graded)
        graded = C.graded_workload(t, b_stops[i], s_stops[j])
        off = any(g is not None and g != v for g, v in zip(graded, (b_stops[i], s_stops[j])))
        off |= (graded[0] is None and i != ci) or (graded[1] is None and j != cj)
        assert r["label"] == ("Exploring: " if off else "") + summary(d)
        assert ("Exploring batch" in r["card"]) == off
    # the axes hold every row: no marker is clipped to the frame's edge
    xs = [r["marker"][0] for r in tab.rows]
    assert tab.axes.x(min(x.intensity for x in tab.results)) >= min(xs)
    assert len(bw["labels"]) == bw["last"] + 1 == len(b_stops) and len(sw["arias"]) == len(s_stops)


def test_the_widget_keeps_mix_and_workload_when_the_table_is_recentred():
    t = TRACKS["mobile"]
    mix = C.starting_design(t)
    tab = mix_table(t, reveal=False, along=mix)
    w = InstantMix(tab, tab.start, [3, 2])
    assert w.current_workload() == (tab.stops[0][3], tab.stops[1][2]) and w.current_choices() == mix
    new = mix_table(t, *w.current_workload(), reveal=False, along=mix)   # Python re-centres
    w.show(new)
    assert w.at == [3, 2] and w.center == [3, 2] and w.current_choices() == mix
    assert tab.at_of(("junk", 10**9)) == [tab.center[0], len(tab.stops[1]) - 1]
    plain = mix_table(t)                      # no workload sliders (the fixture, Part 1's shape)
    assert plain.work == () and InstantMix(plain).current_workload() is None
