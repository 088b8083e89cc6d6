"""Part 2 (Scaling Reality Check) as an instant table: the scale slider's every stop, computed.

For each stop of the scale slider (sequence length / resolution / frames, the stops
``views.slider_args`` gives the app's slider) at a fixed batch:

* the card of the scaling layer: the Layer Profiler rows the app writes (``layer_card`` ->
  ``card_pairs``, the engine's scalar path, cached by ``track_profile``), the gauge, and what
  breaks at this setting (memory capacity, one pass against the deadline);
* the markers on the trajectory plot: each drawn layer's intensity at the stop, from one
  vectorized sweep over the stops (``trajectory.sweep_at``).

The plot itself (curves over the slider's range, ridge, where scaling breaks) is drawn once in
SVG from ``trajectory`` (the same cached sweep as the app's chart). Every string is written by
:mod:`ridgeline.format`; the browser only looks rows up.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..format import format_count, format_ratio, format_si
from .card_text import card_pairs
from .charts import break_marks
from .instant import (
    MARGIN,
    PALETTE,
    InstantGrid,
    InstantTable,
    LogAxes,
    axes_svg,
    esc,
    gauge_html,
    padded_range,
    pairs_html,
    svg_doc,
)
from .part2_grid import grid_card, grid_setting, part2_grid
from .story import EFFECTIVE
from .tracks import get_track, time_budget, time_budget_rule, workload_kwargs
from .trajectory import sweep_at, trajectory
from .views import slider_args

#: Where scaling breaks the system: a colour no layer's curve has (PALETTE), dashed.
BREAK_COLOR = "#6a3d9a"
#: What a screen reader says for a scale stop: the name and the unit of the value.
SCALE_NAMES = {"seq-len": ("Sequence length", "tokens"), "resolution": ("Resolution", "px"),
               "frames": ("Frames per inference", "frames"), "batch": ("Batch", "")}


def part2_table(track, batch=None, hidden=(), probed=()) -> InstantTable:
    """Every stop of Part 2's scale slider at ``batch`` (default: the batch slider's start).

    ``hidden``: layers left off the plot, and off the card when the scaling layer is one (the
    5-move rule's probe layer until its probes are used, ``probes.gate_trajectory``);
    ``probed``: (value, intensity) points drawn for it.
    """
    t = get_track(track)
    b = slider_args(t, "batch", part=2)["value"] if batch is None else int(batch)
    return _table(t.key, b, tuple(sorted(hidden)), tuple(tuple(map(float, p)) for p in probed))


def part2_pages(track, hidden=(), probed=()) -> InstantGrid:
    """Part 2's two sliders: a page (:func:`part2_table`) for every stop of the batch slider,
    which the browser switches between; ``hidden`` and ``probed`` as for one table."""
    t = get_track(track)
    batches = part2_grid(t.key).batches
    pages = tuple(part2_table(t, b, hidden, probed) for b in batches)
    labels = tuple(format_count(b) for b in batches)
    start = batches.index(slider_args(t, "batch", part=2)["value"])
    return InstantGrid(pages, batches, labels, tuple(f"Batch {x}" for x in labels), "Batch", start)


@lru_cache(maxsize=256)
def _table(key: str, batch: int, hidden: tuple, probed: tuple) -> InstantTable:
    t = get_track(key)
    args = slider_args(t, t.scale_param, part=2)
    stops = list(args["steps"])
    layers = [n for n in t.trajectory_layers if n not in hidden]
    traj = trajectory(t, batch, layers=layers)
    at = {n: stop_intensities(t, n, batch, stops) for n in layers}
    lo, hi, _ = t.sliders[t.scale_param]
    marks = [r["intensity"] for r in traj["rows"]] + [v for a in at.values() for v in a]
    ridges = [r["ridge"] for r in traj["ridges"]] + [r["ridge"] for r in traj["rows"] if r["effective"]]
    ax = LogAxes(lo, hi, *padded_range(marks + ridges + [p[1] for p in probed]))
    gated = t.scaling_layer_name in hidden
    note = flat_note(t, traj, layers)  # under every card: which curves this slider cannot move
    rows = tuple(_row(t, batch, s, ax, [at[n][i] for n in layers], gated, note)
                 for i, s in enumerate(stops))
    start = stops.index(args["value"])
    return InstantTable(tuple(stops), rows, plot_svg(t, traj, ax, layers, probed, rows[start]),
                        t.scale_label, start, ax)


def stop_intensities(t, layer: str, batch: int, stops) -> np.ndarray:
    """``layer``'s intensity at each scale stop: the Part 2 grid's row at ``batch`` (already
    computed), else one vectorized sweep over the stops."""
    g = part2_grid(t.key)
    ij = g.point(batch, stops[0])
    if ij is not None and tuple(stops) == g.scales:
        return np.broadcast_to(np.asarray(g.compulsory.layer(layer).intensity, float), g.shape)[ij[0]]
    by_name, _, _ = sweep_at(t, stops, batch)
    return np.broadcast_to(np.asarray(by_name[layer].intensity, float), (len(stops),))


def _row(t, batch: int, value, ax: LogAxes, intensities, gated: bool = False,
         note: str = "") -> dict:
    """One stop: value label, aria-valuetext, the card's HTML, the plot's marker positions."""
    label = value_label(t, batch, value)
    name, unit = SCALE_NAMES[t.scale_param]
    unit = unit[:-1] if label == "1" and unit.endswith("s") else unit  # "1 frame"
    x = ax.x(value)
    return {"label": label, "aria": f"{name} {label} {unit}".rstrip(),
            "card": (gated_html if gated else card_html)(t, batch, value, label)
            + (f'<p class="rl-note">{esc(note)}</p>' if note else ""),
            "markers": [[x, 0.0]] + [[x, ax.y(i)] for i in intensities]}


def value_label(t, batch: int, value) -> str:
    """'8,192'; a resolution as width x height (the height keeps the track's aspect ratio)."""
    if t.scale_param == "resolution":
        w, h = workload_kwargs(t, batch, value)["resolution"]
        return f"{w:,} × {h:,}"
    return format_count(value)


def card_html(t, batch: int, value, label: str) -> str:
    """The scaling layer's card at this stop, with what breaks here (the app's sentences)."""
    card = grid_card(t, t.scaling_layer_name, batch, value)
    u = t.work_unit
    name = card["name"] + (f" (one of {card['count']} copies)" if card["count"] > 1 else "")
    caption = f"{name} · {t.scale_label} {label} · batch {batch:,}"
    gauge = gauge_html(card["gauge_log_fraction"], card["bound"],
                       f"Intensity {format_ratio(card['intensity'], u + '/B')} against the "
                       f"{card['ridge_label']} {format_ratio(card['ridge'], u + '/B')}: "
                       f"{card['bound']}-bound")
    return pairs_html(caption, card_pairs(card, u)) + gauge + setting_html(t, batch, value)


def gated_html(t, batch: int, value, label: str) -> str:
    """The card while the 5-move rule hides the scaling layer: only what breaks here (the
    whole model's memory and time, which do not say where the layer flips bound)."""
    return (f"<p><strong>{esc(t.scaling_layer_name)}</strong> · {esc(t.scale_label)} "
            f"{esc(label)} · batch {batch:,}: its numbers appear after your probes.</p>"
            + setting_html(t, batch, value))


def setting_html(t, batch: int, value) -> str:
    """At this setting: does the model fit device memory, does one pass meet its time budget
    (the app's words: tracks.time_budget_rule)."""
    time_s, capacity = grid_setting(t, batch, value)  # time: where the bytes live (placed)
    w = workload_kwargs(t, batch, value)
    verdict = "misses it" if time_s > time_budget(t, w) else "meets it"
    return (f"<p>Memory: {esc(capacity.message())}.</p>"
            f"<p>The whole model, one pass: {esc(format_si(time_s, 's'))} against the "
            f"{esc(time_budget_rule(t, w))}: {verdict}.</p>")


def plot_svg(t, traj: dict, ax: LogAxes, layers, probed, first: dict) -> str:
    """The trajectory plot: curves, ridge, breaks, legend; markers at the ``first`` row."""
    u = t.work_unit
    parts = axes_svg(ax, f"{t.scale_label} (log)", f"Intensity ({u}/B, log)")
    parts += _ridges(ax, traj, u) + _breaks(ax, traj.get("breaks") or {})
    # a layer keeps its colour whether or not another is hidden (the app's chart does too)
    colors = [PALETTE[list(t.trajectory_layers).index(n) % len(PALETTE)] for n in layers]
    for n, c in zip(layers, colors):
        pts = [r for r in traj["rows"] if r["layer"] == n]
        parts.append(f'<path d="{ax.path([r["value"] for r in pts], [r["intensity"] for r in pts])}" '
                     f'fill="none" stroke="{c}" stroke-width="2"><title>{esc(n)}</title></path>')
    parts += [f'<rect x="{ax.x(v) - 4}" y="{ax.y(i) - 4}" width="8" height="8" fill="#777">'
              f'<title>probed {format_count(v)}: {format_ratio(i, u + "/B")}</title></rect>'
              for v, i in probed]
    parts += _legend(layers, colors)
    parts += _markers(ax, colors, first["markers"])
    return svg_doc(ax, "Intensity trajectory", parts)


def _ridges(ax: LogAxes, traj: dict, unit: str) -> list[str]:
    """The device's ridge per memory level, labelled ('ridge vs flash 512 op/B'); a drawn
    layer's effective ridge (bytes from two levels) as a dotted curve; the solver's crossings."""
    right = ax.width - MARGIN["right"]
    out = [(f'<line x1="{MARGIN["left"]}" x2="{right}" y1="{ax.y(r["ridge"])}" y2="{ax.y(r["ridge"])}" '
            f'stroke="#888" stroke-dasharray="4 4"/><text x="{right - 4}" y="{ax.y(r["ridge"]) - 5}" '
            f'text-anchor="end" fill="#666">{esc(r["label"])} {esc(format_ratio(r["ridge"], unit + "/B"))}</text>')
           for r in traj["ridges"]]
    for n in dict.fromkeys(r["layer"] for r in traj["rows"] if r["effective"]):
        pts = [r for r in traj["rows"] if r["layer"] == n]
        out.append(f'<path d="{ax.path([r["value"] for r in pts], [r["ridge"] for r in pts])}" '
                   f'fill="none" stroke="#999" stroke-dasharray="2 3"><title>{esc(n)}: {EFFECTIVE}'
                   f'</title></path>')
    return out + [f'<circle cx="{ax.x(c["value"])}" cy="{ax.y(c["intensity"])}" r="6" fill="none" '
                  f'stroke="#000" stroke-width="2"><title>{esc(c["what"])} at '
                  f'{format_count(c["value"])}</title></circle>' for c in traj.get("crossings") or []]


def _breaks(ax: LogAxes, breaks: dict) -> list[str]:
    """Orange rules where scaling breaks the system, labelled on the side with room."""
    top, bottom = MARGIN["top"], ax.height - MARGIN["bottom"]
    out = []
    for k, m in enumerate(break_marks(breaks)):
        x = ax.x(m["value"])
        side = 'text-anchor="end" dx="-4"' if x > ax.width / 2 else 'dx="4"'
        out.append(f'<line x1="{x}" x2="{x}" y1="{top}" y2="{bottom}" stroke="{BREAK_COLOR}" '
                   f'stroke-width="2" stroke-dasharray="6 3"/><text x="{x}" {side} '
                   f'y="{bottom - 6 - 14 * k}" fill="{BREAK_COLOR}">{esc(m["what"])}</text>')
    return out


def flat_note(t, traj: dict, layers) -> str:
    """The drawn layers whose intensity does not move along this slider (a Linear layer in
    decode against the context length: the batch moves it, not this), in one sentence."""
    def flat(n):
        ys = [r["intensity"] for r in traj["rows"] if r["layer"] == n]
        return bool(ys) and max(ys) <= min(ys) * 1.001
    names = [n for n in layers if flat(n)]
    if not names:
        return ""
    return (f"{', '.join(names)}: flat in {t.scale_label.lower()} "
            f"(Batch moves {'them' if len(names) > 1 else 'it'}).")


def _legend(layers, colors) -> list[str]:
    out, x = [], MARGIN["left"]
    for n, c in zip(layers, colors):
        out.append(f'<rect x="{x}" y="24" width="10" height="10" fill="{c}"/>'
                   f'<text x="{x + 14}" y="33">{esc(n)}</text>')
        x += 26 + 6 * len(n)
    return out


def _markers(ax: LogAxes, colors, first) -> list[str]:
    """Movable marks (data-m = their index in each row's ``markers``): the current value's
    guide line, then one diamond per layer."""
    top, bottom = MARGIN["top"], ax.height - MARGIN["bottom"]
    out = [(f'<g data-m="0" transform="translate({first[0][0]} {first[0][1]})">'
           f'<line x1="0" x2="0" y1="{top}" y2="{bottom}" stroke="#999" stroke-dasharray="2 3"/></g>')]
    out += [f'<g data-m="{j + 1}" transform="translate({first[j + 1][0]} {first[j + 1][1]})">'
            f'<path d="M0,-7L7,0L0,7L-7,0Z" fill="{c}" stroke="#fff"/></g>'
            for j, c in enumerate(colors)]
    return out
