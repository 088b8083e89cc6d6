"""Part 3 (Operator Budget) as an instant table: every mix of the toolkit's slots, evaluated.

The Lego toolkit is one native ``<select>`` per slot (``challenge.toolkit_slots``). At a
workload (Part 3's batch and scale sliders, which stay kernel sliders) every mix of the slots
is judged once by the engine (``challenge.evaluate_design``, cached) and becomes one row:

* ``pick``: the mix's position in each slot's choices; the row's index is the mixed-radix
  number of the picks (the last slot varies fastest: ``challenge.all_choices``' order);
* ``card``: the verdict card, ``views.design_markdown`` rendered to HTML (the same text the
  kernel would show: strings written by :mod:`ridgeline.format`, reasons by the engine);
* ``marker``: where "your design" sits on the scatter of every mix (power at the required rate
  against aggregate intensity, log axes; the floor and the budget as rules; passing mixes
  shaded, as ``charts.design_chart``), drawn here in SVG;
* ``label``: one line a screen reader announces when the mix changes.

:class:`InstantMix` shows the selects, the card and the scatter; its JavaScript
(``static/instant_mix.js``) finds the row by the picks and looks it up: no arithmetic. The
mix reaches Python debounced as the ``index`` trait: read :meth:`InstantMix.current_choices`,
never the marimo wrapper's ``.value``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

import anywidget
import markdown
import traitlets

from ..format import format_count, format_ratio, format_si
from . import challenge as C
from .instant import MARGIN, STATIC, LogAxes, axes_svg, esc, nearest, padded_range, svg_doc
from .instant_part2 import SCALE_NAMES, value_label
from .story import design_ridges
from .tracks import get_track
from .views import design_markdown, slider_args

PASS_COLOR, FAIL_COLOR = "#2ca02c", "#d62728"  # charts.PASS_SCALE


@dataclass(frozen=True)
class MixTable:
    """What an :class:`InstantMix` shows at one workload: one row per mix of the slots."""

    slots: tuple           # ({"name", "choices"}, ...): the selects, in the toolkit's order
    rows: tuple            # per mix: {"pick", "card", "marker", "label"}
    svg: str               # the scatter; the element with data-m="0" is the moving marker
    choices: tuple         # per mix: {slot name: choice} (what Python evaluates and submits)
    results: tuple = ()    # per mix: the engine's DesignResult (Python side: tests, views)
    start: int = 0         # the starting design's index
    axes: object = None    # the scatter's LogAxes
    label: str = "Operators, one per slot"
    work: tuple = ()       # Part 3's workload sliders: ({"name", "labels", "arias"}, ...)
    stops: tuple = ()      # per workload slider: its stops (what Python evaluates)
    center: tuple = ()     # the table's workload, a stop per slider: rows[:len(choices)] are there
    waiting: str = ""      # shown for a pair the table lacks, until Python re-centres it

    def __post_init__(self):
        # the widget finds a row by its picks and workload stops ("at") and saves its mix:
        # a table without workload sliders (Part 1's, the fixture's) has one row per mix
        rows = tuple(r if "at" in r else dict(r, mix=i, at=[]) for i, r in enumerate(self.rows))
        object.__setattr__(self, "rows", rows)

    def index_of(self, choices) -> int:
        """Mixed-radix index of ``choices`` ({slot: choice}); a slot missing or holding a
        value that is no longer one of its choices keeps the starting design's choice."""
        base = self.choices[self.start]
        picks = [_position(s["choices"], (choices or {}).get(s["name"], base[s["name"]]),
                           base[s["name"]]) for s in self.slots]
        return mix_index([len(s["choices"]) for s in self.slots], picks)

    def parse(self, saved, fallback: int | None = None) -> int:
        """A saved index (a query string's text): itself if it is a row, else ``fallback``
        (default: the start)."""
        try:
            i = int(str(saved))
        except (TypeError, ValueError):
            i = -1
        return i if 0 <= i < len(self.choices) else (self.start if fallback is None else fallback)

    def at_of(self, values) -> list:
        """The stop of each workload slider nearest ``values`` (the center for junk)."""
        return [nearest(st, v, c) for st, v, c in zip(self.stops, values, self.center)]


def _position(choices, value, default) -> int:
    return list(choices).index(value if value in choices else default)


def mix_index(sizes, picks) -> int:
    """The mixed-radix number of ``picks`` (one position per slot, the last varies fastest)."""
    i = 0
    for n, p in zip(sizes, picks):
        i = i * n + p
    return i


def mix_table(track, batch=None, scale=None, reveal: bool = True, along=None) -> MixTable:
    """Every mix of Part 3's toolkit at ``batch`` and ``scale`` (default: the sliders' start).
    ``reveal`` False: the scatter shows only the student's design, the floor, the budget and
    the ridges - every other mix appears after a design is submitted (the lab's rule).
    ``along`` (a mix, {slot: choice}): the lab's Part 3 - the table also holds that mix at every
    stop of the batch slider and of the scale slider (the other at this workload), so those
    sliders answer in the browser too; a move of both waits for the table re-centred there."""
    t = get_track(track)
    b = slider_args(t, "batch", part=3)["value"] if batch is None else int(batch)
    s = slider_args(t, t.scale_param, part=3)["value"] if scale is None else int(scale)
    items = None if along is None else tuple((k, along[k]) for k in sorted(along))
    return _table(t.key, b, s, bool(reveal), items)


def start_table(key: str) -> MixTable:
    """Part 3's table as it opens on a first visit (the starting design at the sliders'
    start): what the lab computes in the background when a track is chosen (lab/warm.py)."""
    return mix_table(key, reveal=False, along=C.starting_design(key))


@lru_cache(maxsize=16)
def _mixes(key: str, batch: int, scale: int) -> tuple:
    """(slots, picks, choices, results): every mix at one workload, judged by the engine."""
    t = get_track(key)
    slots = tuple({"name": s.name, "choices": list(s.choices)} for s in C.toolkit_slots(t))
    picks = list(itertools.product(*(range(len(s["choices"])) for s in slots)))
    choices = tuple({s["name"]: s["choices"][p] for s, p in zip(slots, pick)} for pick in picks)
    return slots, picks, choices, tuple(C.evaluate_design(t, c, batch, scale) for c in choices)


@lru_cache(maxsize=32)
def _table(key: str, batch: int, scale: int, reveal: bool = True, along=None) -> MixTable:
    t = get_track(key)
    slots, picks, choices, results = _mixes(key, batch, scale)
    work, stops = workload_sliders(t) if along is not None else ((), ())
    center = [s.index(v) for s, v in zip(stops, (batch, scale))]
    extra = _along(key, along, tuple(center)) if along is not None else ()
    ridges = _ridges(t, results)
    everyone = list(results) + [r for _, _, r in extra]
    xs = [r.intensity for r in everyone] + [results[0].floor] + [r["ridge"] for r in ridges]
    ax = LogAxes(*padded_range(xs, 2.0),
                 *padded_range([r.power_w for r in everyone] + [t.power_budget_w], 2.0))
    md = markdown.Markdown(extensions=["tables"])  # one converter per table: reset per card
    def row(p, r, m, at, bs):
        note = explore_note(t, *bs) if work else ""  # off the graded workload: say so
        return {"pick": list(p), "card": note + card_html(r, t, md), "mix": m, "at": list(at),
                "marker": marker(ax, r), "label": ("Exploring: " if note else "") + summary(r)}
    rows = [row(p, r, m, center, (batch, scale)) for m, (p, r) in enumerate(zip(picks, results))]
    data = MixTable(slots, (), "", choices, results)
    i = data.index_of(dict(along) if along is not None else C.starting_design(t))
    rows += [row(picks[i], r, i, at, bs) for at, bs, r in extra]
    where = f" at {workload_words(t, batch, scale)}" if work else ""
    svg = scatter_svg(t, results, ax, ridges, rows[i]["marker"], reveal, where)
    return MixTable(slots, tuple(rows), svg, choices, results,
                    i if along is not None else data.index_of(C.starting_design(t)), ax,
                    work=work, stops=stops, center=tuple(center),
                    waiting="Python is judging this mix at this workload…" if work else "")


def workload_words(t, batch, scale) -> str:
    """'batch 16 · sequence length 2,048 tokens' (the labels the sliders show)."""
    name, unit = SCALE_NAMES[t.scale_param]
    label = value_label(t, batch, scale)
    unit = unit[:-1] if label == "1" and unit.endswith("s") else unit  # "1 frame"
    return f"batch {format_count(batch)} · {name.lower()} {label} {unit}".rstrip()


def explore_note(t, batch, scale) -> str:
    """The card's first line when the sliders are off the workload a submission is graded at
    (``challenge.graded_workload``: the mission's, but Tiny's frames are a design choice)."""
    graded = C.graded_workload(t, batch, scale)
    start = (slider_args(t, "batch", part=3)["value"], slider_args(t, t.scale_param, part=3)["value"])
    graded = tuple(s if g is None else g for g, s in zip(graded, start))
    if (batch, scale) == graded:
        return ""
    return (f'<p class="rl-explore">Exploring {esc(workload_words(t, batch, scale))}. A '
            f"submitted design is graded at the mission's {esc(workload_words(t, *graded))}.</p>")


def workload_sliders(t) -> tuple:
    """Part 3's batch and scale sliders as the widget shows them: (({"name", "labels",
    "arias", "last"}, ...), (batch stops, scale stops)): each stop's label and what a screen
    reader says, and the last stop's index."""
    b_stops = tuple(slider_args(t, "batch", part=3)["steps"])
    s_stops = tuple(slider_args(t, t.scale_param, part=3)["steps"])
    b0 = slider_args(t, "batch", part=3)["value"]
    name, unit = SCALE_NAMES[t.scale_param]
    b_labels = [format_count(b) for b in b_stops]
    s_labels = [value_label(t, b0, s) for s in s_stops]
    return (({"name": "Batch", "labels": b_labels, "arias": [f"Batch {x}" for x in b_labels],
              "last": len(b_stops) - 1},
             {"name": t.scale_label, "labels": s_labels, "last": len(s_stops) - 1,
              "arias": [f"{name} {x} {unit}".rstrip() for x in s_labels]}), (b_stops, s_stops))


@lru_cache(maxsize=64)
def _along(key: str, along: tuple, center) -> tuple:
    """((stop pair, (batch, scale), result), ...): the mix ``along`` at every stop of one
    workload slider, the other at the center (the lines through the center, which one slider's
    moves walk; its row at the center itself is already among every mix's)."""
    t = get_track(key)
    _, (b_stops, s_stops) = workload_sliders(t)
    ci, cj = center
    pairs = [(i, cj) for i in range(len(b_stops)) if i != ci]
    pairs += [(ci, j) for j in range(len(s_stops)) if j != cj]
    return tuple(((i, j), (b_stops[i], s_stops[j]),
                  C.evaluate_design(t, dict(along), b_stops[i], s_stops[j])) for i, j in pairs)


def card_html(r, t, md=None) -> str:
    """The verdict card: ``views.design_markdown`` as HTML (alignment left to the widget's CSS,
    newlines between tags dropped: the table is sent once per workload, 384 cards on Mobile).
    ``md``: a ``markdown.Markdown`` to reuse (building one costs a third of a conversion)."""
    md = md or markdown.Markdown(extensions=["tables"])
    out = md.reset().convert(design_markdown(r, t))
    return re.sub(r">\n+<", "><", out.replace(' style="text-align: right;"', ""))


def summary(r) -> str:
    """'FAIL (power): 290 mW at 122 op/B' - the line announced when the mix changes."""
    failed = ", ".join(k for k, ok in r.checks.items() if not ok)
    verdict = "PASS" if r.passes else f"FAIL ({failed})"
    return (f"{verdict}: {format_si(r.power_w, 'W')} at "
            f"{format_ratio(r.intensity, r.work_unit + '/B')}")


def marker(ax: LogAxes, r) -> list:
    return [ax.x(r.intensity), ax.y(r.power_w)]


def _ridges(t, results) -> list[dict]:
    """The device's ridge per level for every precision among the mixes, once each (Cloud's
    precision slot gives a BF16 and an FP8 ridge); a design's effective ridge (Tiny: one per
    byte mix) is on its card, not drawn here."""
    seen = {}
    for r in results:
        for rr in design_ridges(r, t):
            if not rr["label"].lower().startswith("effective"):
                seen.setdefault((rr["label"], round(rr["ridge"], 9)), rr)
    return list(seen.values())


# -- the scatter -------------------------------------------------------------------------------

def scatter_svg(t, results, ax: LogAxes, ridges, first, reveal: bool = True, where="") -> str:
    """Every mix, power against intensity: ridges (dashed), the floor and the budget (green
    rules), a halo behind each passing mix, a dot per mix, and the movable 'your design'."""
    u = results[0].work_unit
    parts = axes_svg(ax, f"Aggregate arithmetic intensity ({u}/B, log)",
                     "Power at the required rate (W, log)", y_unit="")
    top, bottom = MARGIN["top"], ax.height - MARGIN["bottom"]
    left, right = MARGIN["left"], ax.width - MARGIN["right"]
    for k, r in enumerate(ridges):
        x = ax.x(r["ridge"])
        parts.append(f'<line x1="{x}" x2="{x}" y1="{top}" y2="{bottom}" stroke="#888" '
                     f'stroke-dasharray="4 4"><title>{esc(r["label"])} '
                     f'{esc(format_ratio(r["ridge"], u + "/B"))}</title></line>'
                     f'<text x="{x}" dx="-3" y="{top + 12 + 12 * k}" text-anchor="end" '
                     f'fill="#666">{esc(r["label"])}</text>')
    floor, budget = results[0].floor, t.power_budget_w
    fx, by = ax.x(floor), ax.y(budget)
    parts.append(f'<line x1="{fx}" x2="{fx}" y1="{top}" y2="{bottom}" stroke="{PASS_COLOR}" '
                 f'stroke-width="2"/><text x="{fx}" dx="4" y="{bottom - 6}" fill="{PASS_COLOR}">'
                 f'floor {esc(format_ratio(floor, u + "/B"))}</text>'
                 f'<line x1="{left}" x2="{right}" y1="{by}" y2="{by}" stroke="{PASS_COLOR}" '
                 f'stroke-width="2"/><text x="{right - 4}" y="{by - 5}" text-anchor="end" '
                 f'fill="{PASS_COLOR}">budget {esc(format_si(budget, "W"))}</text>')
    shown = results if reveal else ()  # before a submission: only your design
    # every mix at the table's workload: hidden while the workload sliders are elsewhere
    parts.append("<g data-others>")
    parts += [f'<circle cx="{ax.x(r.intensity)}" cy="{ax.y(r.power_w)}" r="9" '
              f'fill="{PASS_COLOR}" fill-opacity="0.18"/>' for r in shown if r.passes]
    parts += [f'<circle cx="{ax.x(r.intensity)}" cy="{ax.y(r.power_w)}" r="3.5" '
              f'fill="{PASS_COLOR if r.passes else FAIL_COLOR}" fill-opacity="0.7">'
              f'<title>{esc(" · ".join(r.choices.values()))}: {esc(summary(r))}</title></circle>'
              for r in shown]
    parts.append("</g>")
    parts.append(f'<g data-m="0" transform="translate({first[0]} {first[1]})">'
                 '<path d="M0,-8L8,0L0,8L-8,0Z" fill="#000" stroke="#fff">'
                 '<title>your design</title></path></g>')
    return svg_doc(ax, f"Your design among all mixes{where}" if reveal else
                   "Your design (every mix appears after you submit)", parts)


# -- the widget --------------------------------------------------------------------------------

class InstantMix(anywidget.AnyWidget):
    """Native selects over a table of every mix, and in Part 3 range inputs over the workload
    (see the module docstring)."""

    _esm = STATIC / "instant_mix.js"
    _css = STATIC / "instant_mix.css"
    index = traitlets.Int(0).tag(sync=True)
    at = traitlets.List(traitlets.Int()).tag(sync=True)
    table = traitlets.List(traitlets.Dict()).tag(sync=True)
    slots = traitlets.List(traitlets.Dict()).tag(sync=True)
    work = traitlets.List(traitlets.Dict()).tag(sync=True)
    center = traitlets.List(traitlets.Int()).tag(sync=True)
    svg = traitlets.Unicode("").tag(sync=True)
    label = traitlets.Unicode("").tag(sync=True)
    waiting = traitlets.Unicode("").tag(sync=True)

    def __init__(self, data: MixTable, index: int | None = None, at=None, **kwargs):
        super().__init__(**kwargs)
        self.mixes: tuple = ()
        self.stops: tuple = ()
        self.show(data, index, at)

    def show(self, data: MixTable, index: int | None = None, at=None) -> None:
        """Show a new table (another workload, another centre) keeping the widget and the
        chosen mix and workload; ``index`` / ``at`` None keep the current ones (or start at
        the table's)."""
        keep = self.current_choices() if self.mixes else None
        i = data.start if index is None and keep is None else (
            data.index_of(keep) if index is None else int(index))
        w = self.current_workload() if at is None and self.stops else None
        stops = data.at_of(w) if w is not None else (list(data.center) if at is None else list(at))
        with self.hold_sync():
            self.mixes, self.stops = tuple(data.choices), tuple(data.stops)
            self.slots = [dict(s) for s in data.slots]
            self.work, self.center = [dict(x) for x in data.work], list(data.center)
            self.table = [dict(r) for r in data.rows]
            self.svg, self.label, self.waiting = data.svg, data.label, data.waiting
            self.index = min(max(i, 0), len(data.choices) - 1)
            self.at = [min(max(int(a), 0), len(s) - 1) for a, s in zip(stops, data.stops)]

    def current_choices(self) -> dict:
        """The mix the browser last saved, {slot: choice} (what the lab evaluates and submits)."""
        return dict(self.mixes[min(self.index, len(self.mixes) - 1)])

    def current_workload(self) -> tuple | None:
        """(batch, scale) the browser last saved; None without workload sliders."""
        if not self.stops:
            return None
        return tuple(s[min(a, len(s) - 1)] for s, a in zip(self.stops, self.at))
