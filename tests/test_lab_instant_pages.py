"""Part 2's two instant sliders: a page per batch stop, each page's every scale stop the
engine's numbers there - the grid (lab/part2_grid.py, one vectorized run) against scalar runs
at every stop pair of every track, and the widget keeping both stops across new pages."""

from __future__ import annotations

import html

import pytest

from ridgeline.format import format_ratio
from ridgeline.lab import views
from ridgeline.lab.cards import layer_card
from ridgeline.lab.instant import InstantSlider
from ridgeline.lab.instant_part2 import part2_pages, part2_table
from ridgeline.lab.part2_grid import grid_card, grid_setting, part2_grid
from ridgeline.lab.tracks import TRACKS, track_profile

KEYS = sorted(TRACKS)


@pytest.mark.parametrize("key", KEYS)
def test_every_stop_pair_of_the_grid_is_a_scalar_run(key):
    t = TRACKS[key]
    g = part2_grid(key)
    assert list(g.batches) == views.slider_args(t, "batch", part=2)["steps"]
    assert list(g.scales) == views.slider_args(t, t.scale_param, part=2)["steps"]
    for b in g.batches:
        for s in g.scales:
            # the card (seed's intensity, bound, ridges; placed bytes, time, energy, where)
            assert grid_card(t, t.scaling_layer_name, b, s) == layer_card(t, t.scaling_layer_name, b, s)
            p = track_profile(t, b, s, memory_model="placed")
            time_s, cap = grid_setting(t, b, s)
            assert time_s == float(p.totals.time_s) and cap.message() == p.capacity.message()


@pytest.mark.parametrize("key", KEYS)
def test_a_page_per_batch_stop_each_the_table_at_that_batch(key):
    t = TRACKS[key]
    pages = part2_pages(t)
    batches = views.slider_args(t, "batch", part=2)
    assert list(pages.values) == batches["steps"] and pages.label == "Batch"
    assert pages.values[pages.start] == batches["value"]
    assert all(a == f"Batch {lab}" for a, lab in zip(pages.arias, pages.labels))
    for b, page in zip(pages.values[::5], pages.pages[::5]):
        assert page == part2_table(t, b)
        for s, row in zip(page.values, page.rows):  # a scalar run at (b, s) says the same
            e = track_profile(t, b, s).layer(t.scaling_layer_name)
            want = format_ratio(float(e.intensity), f"{t.work_unit}/B")
            assert want in html.unescape(row["card"]) or "appear after your probes" in row["card"]


def test_grid_off_its_stops_falls_back_to_the_scalar_run():
    t = TRACKS["cloud"]
    assert grid_card(t, t.scaling_layer_name, 3, 777) == layer_card(t, t.scaling_layer_name, 3, 777)


def test_widget_keeps_both_stops_across_new_pages():
    t = TRACKS["edge"]
    pages = part2_pages(t)
    w = InstantSlider(pages, 1, 3)
    assert (w.page, w.index) == (3, 1) and w.page_label == "Batch"
    assert w.current_page() == pages.values[3] and w.current() == pages.pages[3].values[1]
    assert w.table == [dict(r) for r in pages.pages[3].rows] and w.svg == pages.pages[3].svg
    w.show(part2_pages(t, hidden=(t.probe_layer,)))   # a probe: new pages, same stops
    assert (w.page, w.index) == (3, 1)
    w.show(pages, index=99, page=99)                  # out of range: the last stops
    assert (w.page, w.index) == (len(pages.pages) - 1, len(pages.pages[-1].rows) - 1)
    assert pages.index_of("junk") == pages.start and pages.index_of(10**9) == len(pages.values) - 1


@pytest.mark.parametrize("key", KEYS)
def test_the_plot_names_the_layers_that_do_not_move_along_the_scale(key):
    # a Linear layer in decode reuses its weights once per stream: its intensity is
    # 2.B.K.N / ((B.K + K.N + B.N) . bytes), with no sequence length in it - flat on Cloud's
    # axis; the engine's own sweep over the slider's stops decides which layers are flat
    import re

    import numpy as np

    from ridgeline.lab.trajectory import sweep_at
    t = TRACKS[key]
    tab = part2_table(t)
    by_name, _, _ = sweep_at(t, tab.values, views.slider_args(t, "batch", part=2)["value"])
    flat = [n for n in t.trajectory_layers
            if np.ptp(np.broadcast_to(by_name[n].intensity, (len(tab.values),))) == 0]
    note = {re.findall(r'<p class="rl-note">([^<]*): flat in', r["card"])[0]
            for r in tab.rows if "rl-note" in r["card"]}
    assert len(note) <= 1 and (note.pop().split(", ") if note else []) == flat
    assert all(("rl-note" in r["card"]) == bool(flat) for r in tab.rows)
    if key == "cloud":
        assert "gate_proj" in flat and "attention" not in flat   # the lesson of Part 2
