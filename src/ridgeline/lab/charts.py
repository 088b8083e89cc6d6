"""The lab's charts as Vega-Lite specs, from the plain data of workbench.py and challenge.py.

Vega-Lite is the grammar altair writes; we write the spec dicts directly because building and
serializing altair objects costs ~100 ms per chart on the lab's 2-core machine, which alone
would break the 250 ms slider budget, while a dict costs microseconds. Each builder returns a
:class:`VegaLite` that marimo displays natively (``_mime_``) and that converts to an altair
chart on demand (:meth:`VegaLite.to_altair`, for ``mo.ui.altair_chart`` or further editing).

No numbers are computed here: every x and y comes from the logic modules. Data is inlined and
small (tens to a few hundred marks). Axes whose data span decades are logarithmic.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.4.1.json"
MIME = "application/vnd.vegalite.v6+json"
MEMORY, COMPUTE = "memory", "compute"
BOUND_SCALE = {"domain": [MEMORY, COMPUTE], "range": ["#d62728", "#1f77b4"]}
PASS_SCALE = {"domain": ["PASS", "FAIL"], "range": ["#2ca02c", "#d62728"]}
WIDTH, HEIGHT = 520, 300


@dataclass(frozen=True)
class VegaLite:
    """A Vega-Lite spec that marimo renders as a chart."""

    spec: dict

    def _mime_(self) -> tuple[str, str]:
        return MIME, json.dumps(self.spec, allow_nan=False, default=str)

    def to_altair(self):
        import altair as alt  # lazily: the lab renders without altair's import cost
        return alt.Chart.from_dict(self.spec, validate=False)

    @property
    def layers(self) -> list[dict]:
        return self.spec.get("layer", [self.spec])


def _top(title: str, layers: list[dict], width=WIDTH, height=HEIGHT) -> VegaLite:
    return VegaLite({"$schema": SCHEMA, "title": title, "width": width, "height": height,
                     "layer": layers})


def _q(field: str, title: str | None = None, log: bool = False, domain=None, fmt=None,
       si: bool = False) -> dict:
    enc = {"field": field, "type": "quantitative"}
    if title is not None:
        enc["title"] = title
    if si:  # 2e+15 and 200,000,000,000 read better as 2P and 200G
        enc["axis"] = {"format": "~s"}
    scale = {}
    if log:
        scale["type"] = "log"
    if domain is not None:  # an explicit domain is the whole axis: no rounding past it
        scale["domain"] = list(domain)
        scale["nice"] = False
    if scale:
        enc["scale"] = scale
    if fmt:
        enc["format"] = fmt
    return enc


def _n(field: str, title: str | None = None, scale: dict | None = None, legend=True) -> dict:
    enc = {"field": field, "type": "nominal"}
    if title is not None:
        enc["title"] = title
    if scale:
        enc["scale"] = scale
    if not legend:
        enc["legend"] = None
    return enc


def _tip(*fields) -> list[dict]:
    """Tooltip fields: 'name' (nominal) or ('name', 'format') (quantitative)."""
    return [{"field": f[0], "type": "quantitative", "format": f[1]} if isinstance(f, tuple)
            else {"field": f, "type": "nominal"} for f in fields]


def _layer(values: list[dict], mark: dict, encoding: dict) -> dict:
    return {"data": {"values": _finite(values)}, "mark": mark, "encoding": encoding}


def _finite(rows: list[dict]) -> list[dict]:
    """Rows whose numbers are all finite (a log axis cannot place inf or NaN), each float cut
    to 5 significant figures: a chart cannot show more, and the payload shrinks by half."""
    def ok(v):
        return not isinstance(v, float) or math.isfinite(v)
    return [{k: _short(v) for k, v in r.items()} for r in rows if all(ok(v) for v in r.values())]


def _short(v):
    return float(f"{v:.5g}") if isinstance(v, float) else v


def _positive(xs):
    return [x for x in xs if isinstance(x, (int, float)) and math.isfinite(x) and x > 0]


# -- Part 1 and everywhere -------------------------------------------------------------------

def roofline_chart(data: dict, title: str = "Roofline: the layers on the device",
                   highlight: str | None = None, width: int = WIDTH) -> VegaLite:
    """The device roof (min(peak, BW x I), from workbench.roofline) with the layers on it;
    the ``highlight`` layer is ringed; ``width`` in pixels (narrower beside a card)."""
    u = data.get("work_unit", "FLOP")
    x = _q("intensity", f"Arithmetic intensity ({u}/B, log)", log=True)
    y = _q("attainable", f"Attainable {u}/s (log)", log=True, si=True)
    ring = [p for p in data["points"] if p["layer"] == highlight]
    extra = [_layer(ring, {"type": "point", "size": 400, "strokeWidth": 2, "color": "black"},
                    {"x": x, "y": y, "tooltip": _tip("layer")})] if ring else []
    return _top(title, extra + _roofs(data, x, y) + [
        _layer(data["points"], {"type": "circle", "size": 70, "opacity": 0.85},
               {"x": x, "y": y, "color": _n("bound", "bound", BOUND_SCALE),
                "tooltip": _tip("layer", "kind", ("intensity", ".3~g"), ("attainable", ".3~s"),
                                "bound")}),
    ], width=width)


def _roofs(data: dict, x: dict, y: dict) -> list[dict]:
    """The roof of each memory level (dashed past the first) and its ridge as a labelled rule."""
    ridges = data.get("ridges") or [{"ridge": data["ridge"], "label": "ridge", "level": ""}]
    roofs = data.get("roofs") or [dict(r, level="") for r in data["roof"]]
    marks = [{"intensity": r["ridge"], "what": r["label"], "text": f"{r['label']} {r['ridge']:.3g}"}
             for r in ridges]
    return [
        _layer(roofs, {"type": "line", "color": "#444"},
               {"x": x, "y": y, "strokeDash": _n("level", "roof vs", legend=len(ridges) > 1),
                "tooltip": _tip("level")}),
        _layer(marks, {"type": "rule", "strokeDash": [4, 4], "color": "#888"},
               {"x": _q("intensity"), "tooltip": _tip("what", ("intensity", ".3~g"))}),
        _layer(marks, {"type": "text", "angle": 270, "align": "right", "baseline": "bottom",
                       "dx": -4, "dy": -2, "color": "#666"},
               {"x": _q("intensity"), "y": {"value": 2}, "text": {"field": "text"}}),
    ]


def gauge_chart(card: dict) -> VegaLite:
    """The layer's intensity as a bar against the device's ridge per memory level (black
    ticks, log axis) and, for a layer whose bytes come from two levels, the effective ridge its
    bound is judged against (an orange tick, named so in its tooltip)."""
    i = card["intensity"]
    ticks = ridge_marks(card)
    lo, hi = min([i] + [t["v"] for t in ticks]) / 10, max([i] + [t["v"] for t in ticks]) * 10
    u = card.get("work_unit", "FLOP")
    x = _q("v", f"Intensity ({u}/B), log scale", log=True, domain=(lo, hi))
    return _top(f"Gauge: intensity vs ridge ({card['bound']}-bound)", [
        _layer([{"v": i, "start": lo, "what": "layer intensity", "bound": card["bound"]}],
               {"type": "bar", "height": 22},
               {"x": x, "x2": {"field": "start"}, "color": _n("bound", "bound", BOUND_SCALE),
                "tooltip": _tip("what", ("v", ".3~g"))}),
        _layer(ticks, {"type": "tick", "thickness": 3, "size": 36},
               {"x": x, "color": {"field": "color", "type": "nominal", "scale": None},
                "tooltip": _tip("what", ("v", ".3~g"))}),
    ], width=330, height=40)


def ridge_marks(card: dict) -> list[dict]:
    """A card's ridges as marks: each level's (black), then an effective one (orange)."""
    if "ridges" not in card:
        return [{"v": card["ridge"], "what": "ridge", "color": "black"}]
    out = [{"v": r["ridge"], "what": r["label"], "color": "black"} for r in card["ridges"]]
    if card.get("ridge_effective"):
        out.append({"v": card["ridge"], "what": card["ridge_label"], "color": "#ff7f0e"})
    return out


def reuse_chart(rows: list[dict]) -> VegaLite:
    """Weight reuse (MACs per weight) of the compared layers: why their intensities differ."""
    data = [{"layer": r["name"][:60], "reuse": r["weight_reuse"], "intensity": r["intensity"]}
            for r in rows if r.get("weight_reuse")]
    base = min([d["reuse"] for d in data] + [1.0]) / 2  # a log axis has no zero to start from
    for d in data:
        d["base"] = base
    return _top("Weight reuse: MACs per weight", [
        _layer(data, {"type": "bar"},
               {"y": _n("layer", None), "x": _q("reuse", "MACs per weight (log)", log=True),
                "x2": {"field": "base"},
                "color": _n("layer", legend=False),
                "tooltip": _tip("layer", ("reuse", ",.4~g"), ("intensity", ".3~g"))}),
    ], height=32 * max(1, len(data)))


# -- Part 2 ----------------------------------------------------------------------------------

def trajectory_chart(traj: dict, label: str, unit: str = "FLOP") -> VegaLite:
    """Intensity of several layers over the scaled parameter; the device's ridge per memory
    level as labelled lines; for a layer whose bytes come from two levels, the effective ridge
    of its byte mix as a dashed curve of its colour; where a layer flips bound, the solver's
    crossover (``traj["crossings"]``, a ringed cross); current points, the probed points of a
    5-move game still in play (``traj["probed"]``, see ``probes.gate_trajectory``) and orange
    rules where the system breaks (memory capacity, time budget). Empty layers are left out."""
    x = _q("value", f"{label} (log)", log=True, si=True)
    y = _q("intensity", f"Intensity ({unit}/B, log)", log=True)
    tip = _tip("layer", ("value", ",.0f"), ("intensity", ".3~g"), "bound")
    effective = [{"layer": r["layer"], "value": r["value"], "intensity": r["ridge"],
                  "what": "effective ridge for this layer's byte mix"}
                 for r in traj["rows"] if r.get("effective")]
    layers = [
        _layer(traj["rows"], {"type": "line"},
               {"x": x, "y": y, "color": _n("layer", "layer"), "tooltip": tip}),
        _layer(effective, {"type": "line", "strokeDash": [2, 3], "opacity": 0.7},
               {"x": x, "y": y, "color": _n("layer", "layer"),
                "tooltip": _tip("what", "layer", ("value", ",.0f"), ("intensity", ".3~g"))}),
        *_ridge_lines(traj),
        _layer(traj.get("crossings") or [],
               {"type": "point", "shape": "cross", "size": 260, "filled": True, "color": "black"},
               {"x": x, "y": y, "tooltip": _tip("what", ("value", ",.4~g"), ("intensity", ".3~g"))}),
        _layer(traj["current"]["points"],
               {"type": "point", "shape": "diamond", "size": 170, "filled": True},
               {"x": x, "y": y, "color": _n("layer", "layer"), "tooltip": tip}),
        _layer(traj.get("probed") or [],
               {"type": "point", "shape": "square", "size": 110, "filled": True},
               {"x": x, "y": y, "color": _n("layer", "layer"),
                "tooltip": _tip("what") + tip}),
    ]
    layers = [ly for ly in layers if ly["data"]["values"]] + _break_layers(traj)
    return _top("Intensity trajectory", layers)


def _ridge_lines(traj: dict) -> list[dict]:
    """The device's ridge per memory level: a dashed rule each, labelled at the right edge."""
    ridges = traj.get("ridges") or [{"ridge": traj["ridge"], "label": "ridge"}]
    marks = [{"ridge": r["ridge"], "what": r["label"], "text": f"{r['label']} {r['ridge']:.3g}"}
             for r in ridges]
    return [_layer(marks, {"type": "rule", "strokeDash": [4, 4], "color": "#888"},
                   {"y": _q("ridge"), "tooltip": _tip("what", ("ridge", ".3~g"))}),
            _layer(marks, {"type": "text", "align": "right", "dy": -6, "color": "#666"},
                   {"y": _q("ridge"), "x": {"value": WIDTH - 2}, "text": {"field": "text"}})]


def _break_layers(traj: dict) -> list[dict]:
    """Orange rules, labelled and stacked, where scaling breaks the system."""
    marks = break_marks(traj.get("breaks") or {})
    if not marks:
        return []
    labels = [dict(m, ypix=4 + 14 * i) for i, m in enumerate(marks)]  # stacked, no overlap
    return [_layer(marks, {"type": "rule", "color": "#ff7f0e", "strokeWidth": 2},
                   {"x": _q("value"), "tooltip": _tip("what", ("value", ",.0f"))}),
            _layer(labels, {"type": "text", "align": "left", "baseline": "top", "dx": 4,
                            "color": "#d2640a"},
                   {"x": _q("value"), "y": {"field": "ypix", "type": "quantitative", "scale": None},
                    "text": {"field": "what"}})]


def _ridge_rules(ridge) -> list[dict]:
    """Part 3's ridge rules from ``views.design_ridges`` (each level's ridge at the design's
    precision, 'INT8 ridge vs flash', then an 'effective ridge for this design's byte mix'), or
    from one bare number (an unnamed 'ridge'); none for None."""
    if ridge is None or isinstance(ridge, (int, float)):
        return [{"intensity": float(ridge), "what": "ridge (the memory wall)"}] if ridge else []
    return [{"intensity": r["ridge"], "what": r["label"]} for r in ridge]


def break_marks(breaks: dict) -> list[dict]:
    """Where scaling breaks the system, as labelled x positions."""
    out = []
    if breaks.get("first_unfit") is not None:
        out.append({"value": breaks["first_unfit"], "what": "exceeds device memory"})
    if breaks.get("first_late") is not None:
        out.append({"value": breaks["first_late"], "what": "misses the time budget per run"})
    return out


def growth_chart(traj: dict, label: str, palette=None) -> VegaLite:
    """FLOPs and bytes of each layer relative to the smallest value: who grows faster.
    ``palette``: colours in the trajectory's layer order (the instant plot's), so a layer has
    one colour in both charts."""
    color = _n("layer", "layer")
    if palette:
        order = list(dict.fromkeys(r["layer"] for r in traj["growth"]))
        color["scale"] = {"domain": order, "range": [palette[i % len(palette)]
                                                     for i in range(len(order))]}
    return _top("FLOPs and bytes growth", [
        _layer(traj["growth"], {"type": "line"},
               {"x": _q("value", f"{label} (log)", log=True, si=True),
                "y": _q("ratio", "growth (× at the smallest value, log)", log=True, si=True),
                "color": color, "strokeDash": _n("quantity", "quantity"),
                "tooltip": _tip("layer", "quantity", ("value", ",.0f"), ("ratio", ".3~g"))}),
    ], height=220)


# -- Part 3 ----------------------------------------------------------------------------------

def _halo(rows: list[dict], x: dict, y: dict) -> dict:
    """Only passing mixes are shaded: a halo behind each (the deadline and memory count too).
    With none passing the layer keeps one invisible point (a layer needs data)."""
    passing = [r for r in rows if r["status"] == "PASS"]
    return _layer(passing or rows[:1], {"type": "circle", "size": 700,
                                        "opacity": 0.18 if passing else 0, "color": "#2ca02c"},
                  {"x": x, "y": y})


def _limits(floor: float, y_cap: float | None, y_field: str) -> list[dict]:
    """The intensity floor and the budget (on the y axis) as green rules."""
    out = [_layer([{"intensity": floor, "what": "intensity floor"}],
                  {"type": "rule", "color": "#2ca02c"},
                  {"x": _q("intensity"), "tooltip": _tip("what", ("intensity", ".3~g"))})]
    if y_cap:
        out.append(_layer([{y_field: y_cap, "what": "budget"}], {"type": "rule", "color": "#2ca02c"},
                          {"y": _q(y_field), "tooltip": _tip("what", (y_field, ".3~g"))}))
    return out


def design_chart(designs: list[dict], mine: dict | None, floor: float, y_cap: float | None,
                 y_field: str = "energy_j", y_title: str = "Energy per run (J)",
                 unit: str = "FLOP", ridge: float | list | None = None) -> VegaLite:
    """Every operator mix (``y_field`` vs aggregate intensity): the floor and the budget
    (``y_cap``, on this axis) as green rules, a green halo behind each mix that passes every
    check (so a mix inside the rules that misses the deadline or does not fit is not shaded),
    and the student's design as the black diamond. ``designs`` rows need intensity, y_field,
    passes and label; ``fails`` (the failed checks) shows in the tooltip; ``ridge``: views.design_ridges.
    """
    xs = _positive([d["intensity"] for d in designs] + [floor] + [r["intensity"] for r in _ridge_rules(ridge)]
                   + ([mine["intensity"]] if mine else []))
    ys = _positive([d[y_field] for d in designs] + [y_cap] + ([mine[y_field]] if mine else []))
    xlo, xhi = min(xs) / 2, max(xs) * 2
    ylo, yhi = min(ys) / 2, max(ys) * 2
    x = _q("intensity", f"Aggregate arithmetic intensity ({unit}/B, log)", log=True,
           domain=(xlo, xhi))
    y = _q(y_field, f"{y_title} (log)", log=True, domain=(ylo, yhi), si=True)
    rows = [{"label": d.get("label", ""), "intensity": d["intensity"], y_field: d[y_field],
             "status": "PASS" if d.get("passes") else "FAIL",
             "fails": d.get("fails", "")} for d in designs]
    layers = [
        _halo(rows, x, y),
        _layer(rows, {"type": "circle", "size": 45, "opacity": 0.6},
               {"x": x, "y": y, "color": _n("status", "status", PASS_SCALE),
                "tooltip": _tip("label", ("intensity", ".3~g"), (y_field, ".3~g"), "status",
                                "fails")}),
        *_limits(floor, y_cap, y_field),
    ]
    if ridge:
        layers.append(_layer(_ridge_rules(ridge), {"type": "rule", "strokeDash": [4, 4], "color": "#888"},
                             {"x": _q("intensity"), "tooltip": _tip("what", ("intensity", ".3~g"))}))
    if mine:
        layers.append(_layer(
            [{"label": "your design", "intensity": mine["intensity"], y_field: mine[y_field]}],
            {"type": "point", "shape": "diamond", "size": 320, "filled": True, "color": "black"},
            {"x": x, "y": y, "tooltip": _tip("label", ("intensity", ".3~g"), (y_field, ".3~g"))}))
    return _top("Your design among all mixes", layers)
