"""One story per track: one ridge per device, precision and memory level everywhere it appears,
one time budget per workload, and the trajectory plot, the probes and the solver agree.

Every ridge number the lab's views produce at the default slider positions (the Layer
Profiler card and gauge, the roofline, the trajectory plot, the 5-move solver, the Math peek,
the crisis table, the reveals, Part 3's design card and chart) is either one of the device's
per-level ridges (peak / bandwidth of that level, at the precision shown) under a label that
names the level, or is labelled the *effective ridge* of a byte mix - which only Tiny has
(weights streamed from flash, activations in SRAM) and which lies between its level ridges.
"""

from __future__ import annotations

import html
import math
import re

import pytest

from ridgeline.format import format_ratio, format_si
from ridgeline.hardware import get_hardware
from ridgeline.lab import challenge as C
from ridgeline.lab import charts, story
from ridgeline.lab import questions as Q
from ridgeline.lab import tracks as T
from ridgeline.lab import views as V
from ridgeline.lab import workbench as W
from ridgeline.lab.card_text import card_pairs
from ridgeline.lab.instant_part2 import setting_html

KEYS = sorted(T.TRACKS)
NUM = r"(\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?)"


def levels(t, dtype=None) -> dict:
    """Level name (lower case) -> its ridge, computed here from the hardware registry."""
    hw = get_hardware(t.hardware)
    d = dtype or t.dtype
    out = {hw.memory.name.lower(): hw.peak(d) / hw.memory.bandwidth.value}
    if hw.weight_store is not None:
        out[hw.weight_store.name.lower()] = hw.peak(d) / hw.weight_store.bandwidth.value
    return out


def check_ridge(t, label: str, value: float, dtype=None, rel=1e-9):
    """``value`` is the ridge of the level ``label`` names, or ``label`` says it is effective
    (then: Tiny only, and between the level ridges)."""
    lv = levels(t, dtype)
    label = label.lower()
    if "effective" in label:
        assert "byte mix" in label, label
        assert len(lv) > 1, f"{t.key} has one memory level: no effective ridge ({label})"
        assert min(lv.values()) * (1 - rel) <= value <= max(lv.values()) * (1 + rel), (label, value)
        return
    m = re.search(r"ridge vs (\w+)", label)
    assert m and m.group(1) in lv, f"{t.key}: ridge {value} is not labelled with its level: {label!r}"
    assert value == pytest.approx(lv[m.group(1)], rel=rel), (t.key, label, value)


_LABEL = re.compile(r"(effective ridge for this (?:layer|design)'s byte mix|ridge vs [a-z0-9]+\b|ridge)"
                    r"(?![a-z])[\s:|=]*" + NUM)


def check_text(t, text: str, dtype=None) -> int:
    """Every 'ridge <number>' in rendered text names its level or says effective (3 significant
    figures); returns how many ridge numbers it read."""
    flat = " ".join(html.unescape(text).replace("|", " ").lower().split())
    found = _LABEL.findall(flat)
    for label, num in found:
        assert label != "ridge", f"{t.key}: an unlabelled ridge number {num} in: {flat[:300]}"
        check_ridge(t, label, float(num.replace(",", "")), dtype, rel=6e-3)
    if "effective ridge" in flat and "\\text" not in text:  # prose: the short reason
        assert note(t) in flat, flat[:300]
    return len(found)


def note(t) -> str:
    """The effective ridge's reason as every view words it: the levels named by the hardware
    registry ('bytes from sram and flash, ...'), lower case."""
    hw = get_hardware(t.hardware)
    names = " and ".join(lv.name for lv in (hw.memory, hw.weight_store) if lv is not None)
    return story.EFFECTIVE_NOTE.format(levels=names).lower()


def spec_ridges(spec: dict) -> list[tuple[str, float]]:
    """(label, value) of every mark in a chart spec whose label mentions a ridge."""
    out = []
    for layer in spec.get("layer", []):
        for row in layer.get("data", {}).get("values", []):
            what = str(row.get("what", ""))
            if "ridge" in what and "flips" not in what:
                out.append((what, next(float(row[k]) for k in ("v", "intensity", "ridge") if k in row)))
    return out


def probe_layer_only(t):
    return W.trajectory(t, param=W.new_game(t).param, layers=[t.probe_layer])


# -- every ridge number, every view ------------------------------------------------------------

@pytest.mark.parametrize("key", KEYS)
def test_cards_gauges_and_card_text_show_level_ridges_or_a_named_effective_one(key):
    t = T.TRACKS[key]
    for layer in dict.fromkeys([t.linear_layer, t.conv_layer, t.probe_layer, t.scaling_layer_name]):
        card = W.layer_card(t, layer)
        assert [r["ridge"] for r in card["ridges"]] == pytest.approx(list(levels(t).values()))
        check_ridge(t, card["ridge_label"], card["ridge"])
        # the bound verdict is judged against exactly that ridge
        assert card["bound"] == ("memory" if card["intensity"] < card["ridge"] else "compute")
        assert check_text(t, V.card_markdown(card, t.work_unit)) >= len(card["ridges"])
        for label, shown in card_pairs(card, t.work_unit):
            if "idge" in label:
                check_text(t, f"{label} {shown}")
        for label, value in spec_ridges(charts.gauge_chart(card).spec):
            check_ridge(t, label, value, rel=1e-4)  # a chart keeps 5 significant figures
    cmp = W.compare_linear_conv(t)
    assert check_text(t, V.compare_rows_markdown(cmp["rows"], t.work_unit)) >= 1


@pytest.mark.parametrize("key", KEYS)
def test_roofline_data_and_chart_label_each_level(key):
    t = T.TRACKS[key]
    for data in (W.roofline(t), W.roofline(t, layers=list(t.trajectory_layers))):
        check_ridge(t, data["ridge_label"], data["ridge"])
        assert {r["level"].lower() for r in data["ridges"]} == set(levels(t))
        for r in data["ridges"]:
            check_ridge(t, r["label"], r["ridge"])
        marks = spec_ridges(charts.roofline_chart(data).spec)
        assert len({label for label, _ in marks}) == len(levels(t))
        for label, value in marks:
            check_ridge(t, label, value, rel=1e-4)


@pytest.mark.parametrize("key", KEYS)
def test_trajectory_ridges_are_levels_or_each_layers_named_byte_mix(key):
    t = T.TRACKS[key]
    traj = W.trajectory(t)
    check_ridge(t, traj["ridge_label"], traj["ridge"])
    for r in traj["ridges"]:
        check_ridge(t, r["label"], r["ridge"])
    for row in traj["rows"]:
        # each point's bound is judged against the ridge the row carries, named
        assert row["bound"] == ("memory" if row["intensity"] < row["ridge"] else "compute")
        check_ridge(t, story.EFFECTIVE if row["effective"] else _level_label(t, row["ridge"]),
                    row["ridge"], rel=1e-6)
    marks = spec_ridges(charts.trajectory_chart(traj, t.scale_label, t.work_unit).spec)
    assert marks and all(check_ridge(t, label, value, rel=1e-4) is None for label, value in marks)
    assert any(r["effective"] for r in traj["rows"]) == (key == "tiny")


def _level_label(t, value) -> str:
    lv = story.level_of(value, t.hardware, t.dtype)
    assert lv is not None, (t.key, value)
    return lv["label"]


@pytest.mark.parametrize("key", KEYS)
def test_solver_reveal_and_its_text_name_the_ridge(key):
    t = T.TRACKS[key]
    g = W.new_game(t)
    for i in range(g.limit):
        g = g.probe(g.lo + i * (g.hi - g.lo) // 4)
    r = g.reveal()
    check_ridge(t, r["ridge_label"], r["ridge"], rel=1e-6)
    assert check_text(t, V.probes_markdown(g)) >= 1
    check_text(t, r["reason"])


@pytest.mark.parametrize("key", KEYS)
def test_math_peek_states_each_level_ridge_and_names_an_effective_one(key):
    t = T.TRACKS[key]
    for layer in dict.fromkeys([t.linear_layer, t.conv_layer, t.scaling_layer_name]):
        form = W.math_peek(t, layer)["roofline"]
        shown = re.findall(r"I\^\*_\{\\text\{(\w+)\}\}.*?= (\d+(?:\.\d+)?)(?:\\ \\text\{\(([^)]*)\)\})?",
                           form)
        assert {name.lower() for name, _, _ in shown} >= set(levels(t))
        for name, num, note in shown:
            label = note if name == "eff" else f"ridge vs {name}"
            check_ridge(t, label, float(num), rel=1e-3)


@pytest.mark.parametrize("key", KEYS)
def test_crisis_table_and_reveals_label_their_ridges(key):
    t = T.TRACKS[key]
    crisis = T.crisis(t)
    rows = [(k, v) for k, v in crisis.items() if "ridge" in k]
    assert rows
    for label, value in rows:
        check_ridge(t, label, value)
    check_text(t, V.track_markdown(t, get_hardware(t.hardware).name, crisis))
    for part, q in enumerate(Q.questions(t), 1):
        rv = Q.reveal(t, part, q.choices[0], 1.0)
        assert check_text(t, rv.explanation) >= 1
        check_ridge(t, rv.numbers["ridge_label"], rv.numbers["ridge"])


@pytest.mark.parametrize("key", KEYS)
def test_part3_design_card_and_chart_name_the_precision_and_the_level(key):
    t = T.TRACKS[key]
    for r in (C.evaluate_design(t, C.starting_design(t)), next(d for d in C.enumerate_designs(t) if d.passes)):
        text = V.design_markdown(r, t)
        assert check_text(t, text, r.dtype) >= len(levels(t))
        for lv in story.level_ridges(t.hardware, r.dtype):  # labelled with its precision
            assert f"{r.dtype.upper()} {lv['label']}" in text
        for item in V.design_ridges(r, t):
            check_ridge(t, item["label"], item["ridge"], r.dtype)
        spec = charts.design_chart(V.design_rows([r]), None, r.floor, r.power_budget_w,
                                   ridge=V.design_ridges(r, t)).spec
        for label, value in spec_ridges(spec):
            check_ridge(t, label, value, r.dtype, rel=1e-4)


# -- the trajectory plot, the probes and the solver agree ---------------------------------------

@pytest.mark.parametrize("key", KEYS)
def test_trajectory_crossing_is_the_solvers_and_the_probes_flip_there(key):
    t = T.TRACKS[key]
    g = W.new_game(t)
    c = g.crossover()
    traj = probe_layer_only(t)  # along the probed parameter, the other settings as the game's
    marked = [x for x in traj["crossings"] if x["layer"] == g.layer]
    rows = [r for r in traj["rows"] if r["layer"] == g.layer]
    for row in rows:  # every point of the plotted curve answers as a probe there would
        if float(row["value"]).is_integer():
            assert g.answer(row["value"]) == row["bound"], (key, row["value"])
    if c.crossover is None:
        assert not marked and len({r["bound"] for r in rows}) == 1
        return
    assert len(marked) == 1 and marked[0]["value"] == pytest.approx(c.crossover, rel=1e-12)
    below = max(g.lo, math.floor(c.crossover * (1 - 1e-6)))
    above = min(g.hi, math.ceil(c.crossover * (1 + 1e-6)))
    low, high = c.direction.split("->")
    assert (g.answer(below), g.answer(above)) == (low, high)
    # the reveal quotes the ridge met there; the plot marks that same point
    r = _revealed(g)
    assert r["crossover"] == marked[0]["value"] and r["ridge"] == pytest.approx(marked[0]["ridge"])
    assert (r["ridge_label"] == story.EFFECTIVE) == marked[0]["effective"] == (key == "tiny")


def _revealed(g):
    for i in range(g.limit - g.used):
        g = g.probe(g.lo + i)
    return g.reveal()


def test_tiny_numbers_before_and_after():
    """The issue's numbers: the card, the trajectory, the roofline, the solver and the profile
    total each showed a different unlabelled 'ridge' (507.7, 493.4, 64, 507.7, 493.4)."""
    t = T.TRACKS["tiny"]
    card, traj, roof = W.layer_card(t, t.linear_layer), W.trajectory(t), W.roofline(t)
    assert (card["ridge_label"], round(card["ridge"], 1)) == (story.EFFECTIVE, 507.7)
    assert (traj["ridge_label"], traj["ridge"]) == ("ridge vs flash", 512)
    assert (roof["ridge_label"], roof["ridge"]) == ("ridge vs SRAM", 64)
    assert [(r["label"], r["ridge"]) for r in traj["ridges"]] == [("ridge vs SRAM", 64), ("ridge vs flash", 512)]
    # bottleneck flips at ~372 frames, where its byte mix's ridge has fallen to ~161 op/B
    (x,) = [c for c in traj["crossings"] if c["layer"] == "bottleneck"]
    assert x["value"] == pytest.approx(372.36, abs=0.01) and x["ridge"] == pytest.approx(160.6, abs=0.1)


def test_tiny_cards_effective_ridge_note_is_one_short_clause():
    """Issue #8: the Layer Profiler card's effective ridge row is its value and one short clause
    naming where the bytes come from (the formula is the Math peek's), on every Tiny layer."""
    t = T.TRACKS["tiny"]
    hw = get_hardware(t.hardware)
    for layer in dict.fromkeys([t.linear_layer, t.conv_layer, *t.trajectory_layers]):
        card = W.layer_card(t, layer)
        (cell,) = [v for k, v in card_pairs(card, t.work_unit) if k.lower().startswith("effective")]
        value, reason = cell.split(": ", 1)
        assert value == format_ratio(card["ridge"], "op/B")  # e.g. 508 op/B for bottleneck
        assert len(reason) <= 60 and not any(c in reason for c in ";:()"), reason
        assert reason.lower() == note(t) and hw.weight_store.name in reason
        # "between the two ridges": peak / SRAM bandwidth (64) <= ridge <= peak / flash (512)
        assert hw.peak(t.dtype) / hw.memory.bandwidth.value <= card["ridge"]
        assert card["ridge"] <= hw.peak(t.dtype) / hw.weight_store.bandwidth.value


# -- one time budget per workload ---------------------------------------------------------------

# 'time budget per run: the 50 ms deadline' (a deadline alone) or '...: min(...) = 1 ms'
_BUDGET = re.compile(r"(?:time budget per run: the |time budget per run: .*?= |the deadline allows |≤ )"
                     r"(-?[\d.]+) (ms|s)\b")


def budgets(text: str) -> set:
    """Every time budget a text states, in seconds (3 significant figures)."""
    flat = html.unescape(text).replace("µs", "us")
    out = {float(f"{float(v) * (1e-3 if u == 'ms' else 1):.3g}") for v, u in _BUDGET.findall(flat)
           if "time budget" in flat or "deadline" in flat}
    return {b for b in out if b > 0}


@pytest.mark.parametrize("key", KEYS)
def test_one_time_budget_per_workload_in_part2_and_part3(key):
    t = T.TRACKS[key]
    lo, hi, default = t.sliders[t.scale_param]
    frames = [1, 2, 5, 8] if key == "tiny" else [default]
    for f in frames:
        scale = f if key == "tiny" else None
        w = T.workload_kwargs(t, scale=scale)
        want = float(f"{float(T.time_budget(t, w)):.3g}")
        rule = T.time_budget_rule(t, w)
        traj, prof = W.trajectory(t, scale=scale), T.track_profile(t, scale=scale)
        part2 = V.breaks_markdown(t, traj, prof)
        instant = setting_html(t, T.default(t, "batch"), f if key == "tiny" else default)
        r = C.evaluate_design(t, C.starting_design(t), scale=scale)
        part3 = V.design_markdown(r, t)
        for text in (part2, instant, part3):
            assert rule.lower() in html.unescape(text).lower(), (key, f)  # the same rule, words
        # Part 3's budget is rows of the same Time rule (its design may run another workload)
        assert budgets(part2) == budgets(instant) == {want}, (key, f)
        assert budgets(part3) == {float(f"{r.time_budget_s:.3g}")}
        if key == "tiny":
            assert budgets(part3) == {want}
            assert f"{t.deadline_s * 1e3:.3g} ms deadline" not in html.unescape(part2)
    if key == "tiny":
        assert T.crisis(t)["time budget per run, 1 frame (ms)"] == pytest.approx(1.0)


@pytest.mark.parametrize("key", KEYS)
def test_one_power_budget(key):
    t = T.TRACKS[key]
    crisis = T.crisis(t)  # (Cloud's crisis is about memory: it quotes no power)
    shown = [v * (1e-3 if "(mW)" in k else 1) for k, v in crisis.items() if k.startswith("power budget")]
    assert all(v == pytest.approx(t.power_budget_w) for v in shown) and (shown or key == "cloud")
    r = C.evaluate_design(t, C.starting_design(t))
    assert r.power_budget_w == t.power_budget_w
    assert f"≤ {format_si(t.power_budget_w, 'W')} |" in V.design_markdown(r, t)
    spec = charts.design_chart(V.design_rows([r]), None, r.floor, t.power_budget_w,
                               y_field="power_w").spec
    caps = [row["power_w"] for ly in spec["layer"] for row in ly["data"]["values"]
            if "what" in row and "power_w" in row]
    assert caps == [pytest.approx(t.power_budget_w)]
