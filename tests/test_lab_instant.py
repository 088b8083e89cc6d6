"""Instant sliders: Part 2's table holds, for every stop of the scale slider, the card the
engine computes there (written by ridgeline.format) and the plot's marker positions; the
widget's JavaScript ships in the package, is small, and does no arithmetic on the physics."""

from __future__ import annotations

import fnmatch
import html
import importlib.resources
import json
import re
import tomllib
from pathlib import Path

import pytest

from ridgeline.format import format_count, format_ratio, format_si
from ridgeline.lab import views
from ridgeline.lab.card_text import card_pairs
from ridgeline.lab.cards import layer_card
from ridgeline.lab.instant import InstantSlider, LogAxes, nice_ticks
from ridgeline.lab.instant_part2 import SCALE_NAMES, part2_table
from ridgeline.lab.tracks import TRACKS, track_profile

ROOT = Path(__file__).resolve().parents[1]
KEYS = sorted(TRACKS)


@pytest.fixture(scope="module", params=KEYS)
def track_table(request):
    t = TRACKS[request.param]
    return t, part2_table(t)


def test_one_row_per_stop_of_the_apps_slider(track_table):
    t, tab = track_table
    args = views.slider_args(t, t.scale_param, part=2)
    assert list(tab.values) == args["steps"] and len(tab.rows) == len(args["steps"])
    assert tab.values[tab.start] == args["value"] and tab.label == t.scale_label
    assert all(set(r) == {"label", "aria", "card", "markers"} for r in tab.rows)


def test_every_rows_card_is_the_engines_numbers(track_table):
    t, tab = track_table
    u, batch = t.work_unit, views.slider_args(t, "batch", part=2)["value"]
    for value, row in zip(tab.values, tab.rows):
        e = track_profile(t, batch, value).layer(t.scaling_layer_name)
        placed = track_profile(t, batch, value, memory_model="placed")
        n, card = e.count, html.unescape(row["card"])
        for text in (format_ratio(float(e.intensity), f"{u}/B"),
                     format_ratio(float(e.ridge), f"{u}/B"), f"{e.bound}-bound",
                     format_si(float(e.macs) / n, "MAC"), format_si(float(e.flops) / n, u),
                     format_si(float(e.bytes.total) / n, "B"), format_si(float(e.time_s) / n, "s"),
                     format_si(float(e.energy_j) / n, "J"),
                     format_si(float(placed.layer(t.scaling_layer_name).time_s) / n, "s"),
                     track_profile(t, batch, value).capacity.message(),
                     format_si(float(placed.totals.time_s), "s")):
            assert text in card, (t.key, value, text)
        # and exactly the rows the app's Layer Profiler writes (card_text.card_pairs)
        for label, shown in card_pairs(layer_card(t, t.scaling_layer_name, batch, value), u):
            assert f"<tr><th>{html.escape(label)}</th><td>{html.escape(shown)}</td></tr>" \
                in row["card"]


def test_markers_sit_at_the_engines_intensity(track_table):
    t, tab = track_table
    batch = views.slider_args(t, "batch", part=2)["value"]
    ax = tab.axes
    for value, row in zip(tab.values, tab.rows):
        prof = track_profile(t, batch, value)
        want = [[ax.x(value), 0.0]] + [[ax.x(value), ax.y(prof.layer(n).intensity)]
                                       for n in t.trajectory_layers]
        flat = lambda pts: [c for p in pts for c in p]
        assert flat(row["markers"]) == pytest.approx(flat(want), abs=0.11), (t.key, value)
    assert tab.svg.count("data-m=") == len(tab.rows[0]["markers"])


def test_aria_valuetext_says_the_value_and_its_unit(track_table):
    t, tab = track_table
    name, unit = SCALE_NAMES[t.scale_param]
    for value, row in zip(tab.values, tab.rows):
        assert row["aria"].startswith(name) and format_count(value) in row["aria"]
        assert row["aria"].endswith(unit) or row["aria"].endswith(unit[:-1]), row["aria"]
        assert row["label"] in row["aria"]


def test_hidden_layer_has_no_curve_and_no_marker():
    t = TRACKS["edge"]
    tab = part2_table(t, hidden=(t.probe_layer,), probed=[(1000, 50.0)])
    assert t.probe_layer not in tab.svg  # no curve, legend entry, crossing or effective ridge
    assert all(len(r["markers"]) == len(t.trajectory_layers) for r in tab.rows)  # guide + 3
    assert "probed 1,000" in tab.svg


def test_hidden_scaling_layer_keeps_the_card_from_telling_its_bound():
    t = TRACKS["edge"]  # the scaling layer is the 5-move rule's probe layer
    assert t.scaling_layer_name == t.probe_layer
    tab = part2_table(t, hidden=(t.probe_layer,))
    for row in tab.rows:
        assert "bound" not in row["card"] and "Intensity" not in row["card"]
        assert "appear after your probes" in row["card"] and "deadline" in row["card"]


def test_table_is_small_enough_to_send_once():
    for key in KEYS:
        tab = part2_table(key)
        assert len(json.dumps(list(tab.rows))) + len(tab.svg) < 64_000


def test_widget_keeps_its_position_across_tables():
    t = TRACKS["cloud"]
    w = InstantSlider(part2_table(t))
    assert w.current() == views.slider_args(t, t.scale_param, part=2)["value"]
    assert w.table == [dict(r) for r in part2_table(t).rows] and w.label == t.scale_label
    w.index = 2
    w.show(part2_table(t, batch=64))  # the batch moved: same scale stop, new numbers
    assert w.index == 2 and w.table[2]["card"] != part2_table(t).rows[2]["card"]
    w.show(part2_table(t), index=99)
    assert w.index == len(w.table) - 1
    tab = part2_table(t)
    assert tab.index_of("131072") == len(tab.values) - 1 and tab.index_of("junk") == tab.start


def test_log_axes_and_ticks():
    ax = LogAxes(100, 10_000, 1, 1000)
    assert ax.x(100) < ax.x(1000) < ax.x(10_000) and ax.y(1) > ax.y(10) > ax.y(1000)
    assert ax.x(0) == ax.x(100) and ax.y(float("inf")) == ax.y(1000)
    assert nice_ticks(128, 131072)[:3] == [200, 500, 1000]


# -- the JavaScript --------------------------------------------------------------------------

JS = importlib.resources.files("ridgeline.lab").joinpath("static/instant_slider.js")


def _code_only(src: str) -> str:
    """The JS without comments and string literals (what could compute)."""
    src = re.sub(r"//[^\n]*", "", src)
    return re.sub(r"`[^`]*`|'[^'\n]*'|\"[^\"\n]*\"", '""', src)


def test_js_ships_in_the_package_and_is_small():
    assert JS.is_file()
    assert len(JS.read_bytes()) < 6_000
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    rel = "lab/static/instant_slider.js"
    assert any(fnmatch.fnmatch(rel, pat) for pat in data["ridgeline"]), data
    assert "import " not in _code_only(JS.read_text())  # no dependency, no CDN
    assert "http" not in JS.read_text()


def test_js_does_no_arithmetic_on_the_physics():
    code = _code_only(JS.read_text())
    assert not re.search(r"[*/%]|Math\.|parseFloat|Number\(", code)
    # + and - appear only as index bookkeeping: the last stop and the saved-echo queue
    ops = re.findall(r"[\w.\]\)]+\s*[-+]\s*[\w.(]+", code)
    assert sorted(ops) == ["k + 1", "pages.length - 1", "table.length - 1"], ops
