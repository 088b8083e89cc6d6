"""Part 1's instant Layer picker: one row per layer of the track's model, each the engine's card
(cards.layer_card, written as views.card_markdown writes it) with its gauge, and the marker at
the layer's (intensity, attainable) point on the roofline (roofline_data.roofline). The widget
is Part 3's InstantMix with one slot; its JavaScript only looks rows up (tested in
test_lab_instant_part3.py: test_js_only_looks_rows_up)."""

from __future__ import annotations

import html
import re

import markdown
import pytest

from ridgeline.format import format_ratio, format_si
from ridgeline.lab import views
from ridgeline.lab.cards import layer_card
from ridgeline.lab.instant_part1 import SLOT, layer_table
from ridgeline.lab.instant_part3 import InstantMix
from ridgeline.lab.roofline_data import roofline
from ridgeline.lab.tracks import TRACKS, layer_names

KEYS = sorted(TRACKS)


@pytest.fixture(scope="module", params=KEYS)
def track_table(request):
    t = TRACKS[request.param]
    return t, layer_table(t)


def _text(fragment: str) -> str:
    """The text of an HTML fragment, one line per element's text (entities decoded)."""
    return "\n".join(html.unescape(t.strip()) for t in re.split(r"<[^>]+>", fragment)
                     if t.strip())


def test_one_row_per_layer_in_model_order(track_table):
    t, tab = track_table
    names = layer_names(t)
    assert len(tab.rows) == len(names) == len(tab.choices)
    assert tab.slots == ({"name": SLOT, "choices": names},)
    for i, (row, name) in enumerate(zip(tab.rows, names)):
        assert row["pick"] == [i] and tab.choices[i] == {SLOT: name}
        assert tab.index_of({SLOT: name}) == i   # the select's value finds its row
    assert tab.choices[tab.start] == {SLOT: t.linear_layer}


def test_every_card_is_the_engines(track_table):
    t, tab = track_table
    u = t.work_unit
    for row, name in zip(tab.rows, layer_names(t)):
        c = layer_card(t, name)  # the engine's card, computed afresh here
        card = html.unescape(row["card"])
        for text in (format_ratio(c["intensity"], f"{u}/B"), format_si(c["flops"], u),
                     format_si(c["macs"], "MAC"), format_si(c["time_s"], "s"),
                     format_si(c["energy_j"], "J"), f"{c['bound']}-bound"):
            assert text in card, (t.key, name, text)
        # exactly the kernel's card (views.card_markdown rendered), then the gauge
        want = markdown.markdown(views.card_markdown(c, u), extensions=["tables"])
        assert _text(row["card"]).startswith(_text(want)), (t.key, name)
        # the gauge's bar is the card's log dial: 100 x gauge_log_fraction percent wide
        assert f'style="width:{100 * c["gauge_log_fraction"]:.1f}%"' in row["card"]
        assert f'class="rl-{c["bound"]}"' in row["card"]
        assert row["label"].startswith(
            f"{name}: {format_ratio(c['intensity'], f'{u}/B')}, {c['bound']}-bound")


def test_markers_sit_at_the_engines_point_on_the_roofline(track_table):
    t, tab = track_table
    ax = tab.axes
    points = {p["layer"]: p for p in roofline(t)["points"]}
    for row, name in zip(tab.rows, layer_names(t)):
        c = layer_card(t, name)
        # x = the layer's intensity, y = its attainable FLOP/s, both on the table's log axes
        assert row["marker"] == [ax.x(c["intensity"]), ax.y(c["attainable_flops"])]
        if c["flops"]:  # a layer with FLOPs is a dot of the roofline, at the same point
            p = points[name]
            assert row["marker"] == [ax.x(p["intensity"]), ax.y(p["attainable"])]
            assert ax.x_lo <= c["intensity"] <= ax.x_hi
            assert ax.y_lo < c["attainable_flops"] < ax.y_hi
        else:  # a lookup (Cloud's embed_tokens): no dot, and the line says why
            assert name not in points and "no FLOPs" in row["label"]


def test_the_roofline_svg(track_table):
    t, tab = track_table
    data = roofline(t)
    assert f"Roofline: every layer of {t.model} on {t.hardware}" in tab.svg
    # a dot per layer with FLOPs, one roof per memory level, one movable ring at the start
    assert tab.svg.count('r="3.5" fill="#') - 2 == len(data["points"])  # 2: the legend's dots
    assert tab.svg.count("<title>roof vs ") == len(data["ridges"])
    assert tab.svg.count("data-m=") == 1
    x, y = tab.rows[tab.start]["marker"]
    assert f'data-m="0" transform="translate({x} {y})"' in tab.svg
    for r in data["ridges"]:
        assert f'{r["label"]} {format_ratio(r["ridge"], t.work_unit + "/B")}' in tab.svg


def test_saved_indexes_and_the_widget():
    tab = layer_table("cloud")
    start = layer_names("cloud").index(TRACKS["cloud"].linear_layer)
    assert tab.start == start
    for garbage in (None, "", "x", "-1", str(len(tab.rows)), "1.5"):
        assert tab.parse(garbage) == start, garbage
    assert tab.parse("3") == 3
    w = InstantMix(tab, tab.parse("2"))
    assert w.current_choices() == {SLOT: layer_names("cloud")[2]}
    assert w.label == tab.label and w.slots == [dict(s) for s in tab.slots]


def test_table_is_small_enough_to_send_once():
    import json
    sizes = {k: len(json.dumps(list(layer_table(k).rows))) + len(layer_table(k).svg)
             for k in KEYS}
    assert all(v < 300_000 for v in sizes.values()), sizes
