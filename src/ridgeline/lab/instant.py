"""Instant sliders: the browser shows every slider stop from a table Python computed.

A slider move in marimo is a kernel round trip (~190-270 ms on the lab's machine, see
docs and shared/reference/LAB-INTERACTION-NOTES.md); here the card HTML, the value label, the
``aria-valuetext`` and the SVG marker positions of *every* stop are computed once by the engine
and sent with the widget, and the widget's JavaScript (``static/instant_slider.js``, a few kB,
shipped in the package: no CDN) only looks them up. The stop reaches Python debounced, as the
``index`` trait. Read ``slider.index`` (or :meth:`InstantSlider.current`), never the marimo
wrapper's ``.value``, which serializes every trait including the table.

This module holds the widget and the drawing primitives (a log-log frame in SVG); the tables
for a part live beside it (:mod:`.instant_part2`). No number of the physics is computed here.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

import anywidget
import traitlets

from ..format import format_ratio, format_si

STATIC = Path(__file__).with_name("static")
WIDTH, HEIGHT = 520, 320
MARGIN = {"left": 56, "right": 12, "top": 42, "bottom": 40}
PALETTE = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2")
BOUND_CLASS = {"memory": "rl-memory", "compute": "rl-compute"}


@dataclass(frozen=True)
class InstantTable:
    """What an :class:`InstantSlider` shows: one row per stop, the static SVG, the start."""

    values: tuple          # the slider's stops (the values Python works with)
    rows: tuple            # per stop: {"label", "aria", "card", "markers"}
    svg: str               # the static frame; elements with data-m="j" move per row
    label: str             # the slider's visible (and accessible) name
    start: int = 0         # index of the starting stop
    axes: object = None    # the plot's LogAxes (Python side only: tests, further drawing)

    def index_of(self, value) -> int:
        """Index of the stop nearest ``value`` (a restored value that is no longer a stop
        lands on its neighbour); the start for None or a value that is not a number."""
        return nearest(self.values, value, self.start)


@dataclass(frozen=True)
class InstantGrid:
    """Two sliders: an outer one (Part 2's batch) whose every stop has its own
    :class:`InstantTable` (a page: the inner slider's rows and the plot at that stop)."""

    pages: tuple           # one InstantTable per outer stop
    values: tuple          # the outer slider's stops
    labels: tuple          # per outer stop: the value shown beside the slider ('16')
    arias: tuple           # per outer stop: what a screen reader says ('Batch 16')
    label: str = ""        # the outer slider's name ("" for one page: no outer slider)
    start: int = 0

    @classmethod
    def single(cls, table: InstantTable) -> InstantGrid:
        return cls((table,), (None,), ("",), ("",))

    def index_of(self, value) -> int:
        return nearest(self.values, value, self.start)


def nearest(values, value, start: int) -> int:
    """Index of the stop nearest ``value``; ``start`` for None or a value that is not a number."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return start
    if not math.isfinite(x) or values == (None,):
        return start
    return min(range(len(values)), key=lambda i: abs(float(values[i]) - x))


class InstantSlider(anywidget.AnyWidget):
    """A native range input over a table of precomputed stops (see the module docstring);
    with an :class:`InstantGrid`, a second (outer) range input switches between tables."""

    _esm = STATIC / "instant_slider.js"
    _css = STATIC / "instant_slider.css"
    index = traitlets.Int(0).tag(sync=True)
    page = traitlets.Int(0).tag(sync=True)
    pages = traitlets.List(traitlets.Dict()).tag(sync=True)
    label = traitlets.Unicode("").tag(sync=True)
    page_label = traitlets.Unicode("").tag(sync=True)

    def __init__(self, data, index: int | None = None, page: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.grid: InstantGrid | None = None
        self.show(data, index, page)

    def show(self, data, index: int | None = None, page: int | None = None) -> None:
        """Show new tables (another track, a probe) keeping the widget, so the browser keeps
        its element; an index None keeps the current value (or the stop nearest it)."""
        grid = data if isinstance(data, InstantGrid) else InstantGrid.single(data)
        old = self.grid
        p = _keep(grid, old and old.values[self.page], grid.start if page is None else page,
                  page is None and old is not None)
        tab = grid.pages[p]
        keep = old.pages[min(self.page, len(old.pages) - 1)].values[self.index] if old else None
        i = _keep(tab, keep, tab.start if index is None else index, index is None and old is not None)
        with self.hold_sync():
            self.grid = grid
            self.pages = [{"svg": t.svg, "rows": [dict(r) for r in t.rows], "label": lab,
                           "aria": aria} for t, lab, aria in zip(grid.pages, grid.labels, grid.arias)]
            self.label, self.page_label = tab.label, grid.label
            self.page, self.index = p, i

    @property
    def table(self) -> list:
        """The rows of the page shown (what the browser looks up)."""
        return self.pages[self.page]["rows"]

    @property
    def svg(self) -> str:
        return self.pages[self.page]["svg"]

    def current(self):
        """The inner stop the browser last saved (what the other cells should use)."""
        return self.grid.pages[self.page].values[self.index]

    def current_page(self):
        """The outer stop (Part 2's batch) the browser last saved."""
        return self.grid.values[self.page]


def _keep(data, old_value, given: int, keeping: bool) -> int:
    """The stop to show: nearest the old value when keeping it, else ``given``, clipped."""
    i = data.index_of(old_value) if keeping and old_value is not None else int(given)
    n = len(data.pages) if isinstance(data, InstantGrid) else len(data.rows)
    return min(max(i, 0), n - 1)


# -- drawing: a log-log frame whose geometry Python computes -----------------------------------

@dataclass(frozen=True)
class LogAxes:
    """Log scales for x and y onto the plot area (SVG pixels, y down)."""

    x_lo: float
    x_hi: float
    y_lo: float
    y_hi: float
    width: int = WIDTH
    height: int = HEIGHT

    def x(self, v) -> float:
        left, right = MARGIN["left"], self.width - MARGIN["right"]
        return round(left + (right - left) * _frac(v, self.x_lo, self.x_hi), 1)

    def y(self, v) -> float:
        top, bottom = MARGIN["top"], self.height - MARGIN["bottom"]
        return round(bottom - (bottom - top) * _frac(v, self.y_lo, self.y_hi), 1)

    def path(self, xs, ys) -> str:
        return "M" + "L".join(f"{self.x(a)},{self.y(b)}" for a, b in zip(xs, ys))


def _frac(v, lo, hi) -> float:
    """Position of ``v`` between ``lo`` and ``hi`` on a log scale, clipped to [0, 1]."""
    v = float(v)
    if not math.isfinite(v) or v <= 0:
        return 0.0 if not v > 0 else 1.0
    return min(1.0, max(0.0, math.log(v / lo) / math.log(hi / lo)))


def padded_range(values, pad: float = 1.6) -> tuple[float, float]:
    """(lo / pad, hi * pad) over the positive finite ``values``: room above and below."""
    ok = [float(v) for v in values if math.isfinite(float(v)) and float(v) > 0]
    lo, hi = (min(ok), max(ok)) if ok else (1.0, 10.0)
    return lo / pad, hi * pad


def nice_ticks(lo: float, hi: float, steps=(1, 2, 5)) -> list[float]:
    """1-2-5 x 10^k values inside [lo, hi] (decades only when that gives too many)."""
    out = []
    for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        out += [m * 10.0**k for m in steps if lo <= m * 10.0**k <= hi]
    return out if len(out) <= 9 or steps == (1,) else nice_ticks(lo, hi, (1,))


def axes_svg(ax: LogAxes, x_title: str, y_title: str, y_unit: str | None = None) -> list[str]:
    """Frame, ticks, grid and titles of a log-log plot (y ticks as ratios, or with SI prefixes
    and ``y_unit`` when given: '100 mW')."""
    left, right = MARGIN["left"], ax.width - MARGIN["right"]
    top, bottom = MARGIN["top"], ax.height - MARGIN["bottom"]
    out = [(f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
           'fill="none" stroke="#bbb"/>')]
    for v in nice_ticks(ax.x_lo, ax.x_hi):
        x = ax.x(v)
        out.append(f'<line x1="{x}" x2="{x}" y1="{top}" y2="{bottom}" stroke="#eee"/>'
                   f'<text x="{x}" y="{bottom + 14}" text-anchor="middle">'
                   f'{format_si(v, digits=1)}</text>')
    for v in nice_ticks(ax.y_lo, ax.y_hi, (1,)):
        y = ax.y(v)
        out.append(f'<line x1="{left}" x2="{right}" y1="{y}" y2="{y}" stroke="#eee"/>'
                   f'<text x="{left - 4}" y="{y + 4}" text-anchor="end">'
                   f'{format_ratio(v, digits=1) if y_unit is None else format_si(v, y_unit, 1)}</text>')
    out.append(f'<text x="{(left + right) // 2}" y="{ax.height - 6}" text-anchor="middle">'
               f'{esc(x_title)}</text>')
    out.append(f'<text transform="translate(12 {(top + bottom) // 2}) rotate(-90)" '
               f'text-anchor="middle">{esc(y_title)}</text>')
    return out


def svg_doc(ax: LogAxes, title: str, parts: list[str]) -> str:
    """The parts inside one accessible SVG element."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{ax.width}" height="{ax.height}" '
            f'viewBox="0 0 {ax.width} {ax.height}" role="img" aria-label="{esc(title)}" '
            'font-family="system-ui, sans-serif" font-size="11" fill="#333">'
            f'<text x="{MARGIN["left"]}" y="16" font-size="13" font-weight="600">{esc(title)}</text>'
            + "".join(parts) + "</svg>")


def esc(text) -> str:
    """Text safe inside HTML or SVG (element content and quoted attributes)."""
    return html.escape(str(text), quote=True)


def pairs_html(caption: str, pairs) -> str:
    """(label, value) pairs as an HTML table (the card), every string escaped."""
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in pairs)
    return f"<table><caption>{esc(caption)}</caption>{rows}</table>"


def gauge_html(fraction: float, bound: str, text: str) -> str:
    """A bar filled to ``fraction`` (0-1, computed by the engine's card), coloured by bound."""
    width = f"{100 * min(1.0, max(0.0, float(fraction))):.1f}%"
    return (f'<div class="rl-gauge" role="img" aria-label="{esc(text)}">'
            f'<div class="{BOUND_CLASS.get(bound, "")}" style="width:{width}"></div></div>')
