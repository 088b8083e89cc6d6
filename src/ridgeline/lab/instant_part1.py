"""Part 1 (Arithmetic Intensity Audit) as an instant table: the Layer picker, every layer computed.

The Layer Profiler's picker is one native ``<select>`` (an :class:`~.instant_part3.InstantMix`
with a single slot, "Layer", whose choices are ``tracks.layer_names``). For every layer of the
track's model at its default workload the engine's card (``cards.layer_card``: compulsory
traffic, plus where the bytes really live) becomes one row:

* ``pick``: the layer's position in the model (the row's index);
* ``card``: the Layer Profiler card the kernel showed, ``views.card_markdown`` rendered to HTML,
  and the gauge: the card's ``gauge_log_fraction`` (log10(I / ridge) on a dial from ridge/1000
  to the ridge, computed by the engine's card) as a bar coloured by the layer's bound;
* ``marker``: the layer on the roofline, (intensity, attainable FLOP/s) on log axes;
* ``label``: 'q_proj: 7.99 FLOP/B, memory-bound', announced when the layer changes.

The roofline (``roofline_data.roofline``: the roof min(peak, BW x I) of each memory level, the
ridges, one point per layer with FLOPs) is drawn here in SVG once per track. Every string is
written by :mod:`ridgeline.format`; the browser only looks rows up.
"""

from __future__ import annotations

import re
from functools import lru_cache

import markdown

from ..format import format_ratio, format_si
from .cards import layer_card
from .instant import MARGIN, LogAxes, axes_svg, esc, gauge_html, padded_range, svg_doc
from .instant_part3 import MixTable
from .roofline_data import roofline
from .tracks import get_track, layer_names
from .views import card_markdown

SLOT = "Layer"                                   # the select's name (its accessible label)
LEGEND = "Pick a layer of the model"
BOUND_COLOR = {"memory": "#d62728", "compute": "#1f77b4"}  # charts.BOUND_SCALE
WIDTH, HEIGHT = 470, 320                         # the roofline beside the card (1366 px screen)


def layer_table(track) -> MixTable:
    """Every layer of the track's model at its default workload, one row each (cached)."""
    return _table(get_track(track).key)


@lru_cache(maxsize=8)
def _table(key: str) -> MixTable:
    t = get_track(key)
    names = list(layer_names(t))
    cards = tuple(layer_card(t, n) for n in names)
    roof = roofline(t)
    ax = roof_axes(roof)
    md = markdown.Markdown(extensions=["tables"])  # one converter per table: reset per card
    rows = tuple({"pick": [i], "card": card_html(c, t.work_unit, md), "marker": marker(ax, c),
                  "label": summary(c, t.work_unit)} for i, c in enumerate(cards))
    start = names.index(t.linear_layer)
    svg = roofline_svg(t, roof, ax, rows[start]["marker"])
    return MixTable(({"name": SLOT, "choices": names},), rows, svg,
                    tuple({SLOT: n} for n in names), cards, start, ax, LEGEND)


def card_html(card: dict, unit: str, md=None) -> str:
    """The Layer Profiler card (``views.card_markdown`` as HTML, the kernel's text) and the
    gauge: intensity against the ridge the bound is judged against, on the engine's log dial."""
    md = md or markdown.Markdown(extensions=["tables"])
    table = md.reset().convert(card_markdown(card, unit))
    table = re.sub(r">\n+<", "><", table.replace(' style="text-align: right;"', ""))
    ridge = f"{card['ridge_label']} {format_ratio(card['ridge'], unit + '/B')}"
    text = (f"Intensity {format_ratio(card['intensity'], unit + '/B')} against the {ridge}: "
            f"{card['bound']}-bound")
    return (f'{table}<p class="rl-gauge-title">Gauge: intensity vs ridge '
            f"({esc(card['bound'])}-bound)</p>"
            + gauge_html(card["gauge_log_fraction"], card["bound"], text)
            + '<p class="rl-gauge-scale"><span>ridge ÷ 1000</span><span>log scale</span>'
            '<span>ridge</span></p>'
            f"<p>{esc(text)}</p>")


def summary(card: dict, unit: str) -> str:
    """'q_proj: 7.99 FLOP/B, memory-bound' - the line announced when the layer changes (a
    layer with no FLOPs, a lookup, has no dot on the roofline: the line says so)."""
    out = f"{card['name']}: {format_ratio(card['intensity'], unit + '/B')}, {card['bound']}-bound"
    return out + ("; no FLOPs, so no dot on the roofline" if not card["flops"] else "")


def marker(ax: LogAxes, card: dict) -> list:
    """Where the layer sits on the roofline: (its intensity, its attainable FLOP/s)."""
    return [ax.x(card["intensity"]), ax.y(card["attainable_flops"])]


def roof_axes(roof: dict) -> LogAxes:
    """x: the roof's grid (it spans the layers and 10 x the highest ridge); y: every roof's
    attainable FLOP/s and every layer's, with room above the peak for the labels."""
    xs = [r["intensity"] for r in roof["roofs"]]
    ys = [r["attainable"] for r in roof["roofs"]] + [p["attainable"] for p in roof["points"]]
    return LogAxes(min(xs), max(xs), *padded_range(ys, 2.0), width=WIDTH, height=HEIGHT)


# -- the roofline ------------------------------------------------------------------------------

def roofline_svg(t, roof: dict, ax: LogAxes, first) -> str:
    """The roof of each memory level (dashed past the first), its ridge (a labelled dashed
    rule), a dot per layer coloured by its bound, a legend, and the movable ring at ``first``."""
    u = roof["work_unit"]
    parts = axes_svg(ax, f"Arithmetic intensity ({u}/B, log)", f"Attainable {u}/s (log)",
                     y_unit="")
    parts += _roofs(ax, roof, u) + _dots(ax, roof, u) + _legend(ax, roof["ridges"])
    parts.append(f'<g data-m="0" transform="translate({first[0]} {first[1]})">'
                 '<circle r="9" fill="none" stroke="#000" stroke-width="2.5">'
                 '<title>the chosen layer</title></circle></g>')
    return svg_doc(ax, f"Roofline: every layer of {t.model} on {t.hardware}", parts)


def _roofs(ax: LogAxes, roof: dict, unit: str) -> list[str]:
    """One polyline per level's roof min(peak, BW_level x I), then each ridge as a rule."""
    top, bottom = MARGIN["top"], ax.height - MARGIN["bottom"]
    out = []
    for k, r in enumerate(roof["ridges"]):
        pts = [p for p in roof["roofs"] if p["level"] == r["level"]]
        out.append(f'<path d="{ax.path([p["intensity"] for p in pts], [p["attainable"] for p in pts])}" '
                   f'fill="none" stroke="#444" stroke-width="1.5"{_dash(k)}>'
                   f'<title>roof vs {esc(r["level"])}</title></path>')
        x = ax.x(r["ridge"])
        out.append(f'<line x1="{x}" x2="{x}" y1="{top}" y2="{bottom}" stroke="#888" '
                   f'stroke-dasharray="4 4"/><text x="{x}" dx="-3" y="{bottom - 6 - 13 * k}" '
                   f'text-anchor="end" fill="#666">{esc(r["label"])} '
                   f'{esc(format_ratio(r["ridge"], unit + "/B"))}</text>')
    y = ax.y(roof["peak"])
    peak = (f'<text x="{ax.width - MARGIN["right"] - 4}" y="{y - 5}" text-anchor="end" '
            f'fill="#666">peak {esc(format_si(roof["peak"], unit + "/s"))}</text>')
    return [*out, peak]


def _dots(ax: LogAxes, roof: dict, unit: str) -> list[str]:
    """One dot per layer with FLOPs at (intensity, attainable), its name and numbers on hover."""
    return [f'<circle cx="{ax.x(p["intensity"])}" cy="{ax.y(p["attainable"])}" r="3.5" '
            f'fill="{BOUND_COLOR.get(p["bound"], "#777")}" fill-opacity="0.75">'
            f'<title>{esc(p["layer"])}: {esc(format_ratio(p["intensity"], unit + "/B"))}, '
            f'{esc(format_si(p["attainable"], unit + "/s"))}, {esc(p["bound"])}-bound</title>'
            '</circle>' for p in roof["points"]]


def _legend(ax: LogAxes, ridges) -> list[str]:
    """Which colour is which bound and, with several memory levels, which line is whose roof:
    top left inside the frame (under the roof's slope, where no layer sits)."""
    x, y = MARGIN["left"] + 8, MARGIN["top"] + 12
    out = [f'<circle cx="{x}" cy="{y + 14 * k}" r="3.5" fill="{c}"/>'
           f'<text x="{x + 8}" y="{y + 4 + 14 * k}">{b}-bound</text>'
           for k, (b, c) in enumerate(BOUND_COLOR.items())]
    y += 14 * len(BOUND_COLOR)
    return out + ([f'<line x1="{x - 5}" x2="{x + 5}" y1="{y + 14 * k}" y2="{y + 14 * k}" '
                   f'stroke="#444" stroke-width="1.5"{_dash(k)}/><text x="{x + 8}" '
                   f'y="{y + 4 + 14 * k}">roof vs {esc(r["level"])}</text>'
                   for k, r in enumerate(ridges)] if len(ridges) > 1 else [])


def _dash(k: int) -> str:
    """The first level's roof is solid, the others dashed."""
    return ' stroke-dasharray="6 3"' if k else ""
