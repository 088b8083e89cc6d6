""""Your machine" in the lab: the device `ridgeline measure` cached, its measured roofline
(one roof per memory level: the hierarchical roofline, Yang et al. 2020, S91) and the suite's
layers placed twice, where the engine predicts them and where they were measured.

Reads the cache file only (``ridgeline.hardware.machine_file``): no measuring, no torch, so it
renders in the browser too. Without a cache it says which command creates one.
"""

from __future__ import annotations

import json
import math

from ..hardware import machine_file
from .charts import VegaLite, _layer, _n, _q, _tip, roofline_chart

LEVEL_COLOR = "#9467bd"


def load_report() -> dict | None:
    """The cached measurement, or None when absent or unreadable (the text says which)."""
    try:
        data = json.loads(machine_file().read_text("utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(data, dict) and isinstance(data.get("device"), dict)
    return data if ok and isinstance(data.get("layers"), list) else None


def machine_roofline(report: dict, dtype: str = "fp32", points: int = 48) -> dict:
    """Chart data in the shape of ``roofline_data``: the off-chip roof at the measured peak,
    the engine's predicted points, plus ``measured`` points and per-level ``levels`` roofs."""
    dev, rows = report["device"], report["layers"]
    peak, bw = dev["peaks"][dtype], dev["bandwidth"]
    ints = [r["flops"] / r["bytes"] for r in rows if r["bytes"] > 0] or [1.0]
    lo, hi = min([0.1, *ints]) / 2, max([10 * peak / bw, *ints]) * 2
    grid = [lo * (hi / lo) ** (i / (points - 1)) for i in range(points)]
    roof = lambda b: [{"intensity": i, "attainable": min(peak, b * i)} for i in grid]
    point = lambda r, y, bound: {"layer": r["name"], "kind": r["kind"],
                                 "intensity": r["flops"] / r["bytes"], "attainable": y,
                                 "bound": bound, "ratio": r["measured_time_s"] / r["predicted_time_s"]}
    live = [r for r in rows if r["bytes"] > 0]
    return {"roof": roof(bw), "ridge": peak / bw, "peak": peak, "bandwidth": bw, "work_unit": "FLOP",
            "points": [point(r, r["roof_flops"], r["predicted_bound"]) for r in live],
            "measured": [point(r, r["achieved_flops"], r["measured_bound"]) for r in live],
            "levels": [{**p, "level": lv["name"]} for lv in dev["levels"][:-1]
                       for p in roof(lv["bandwidth"])]}


def machine_chart(data: dict) -> VegaLite:
    """The engine's roofline chart with the cache roofs dashed and the measured points as
    black diamonds (a diamond above the solid roof is a model error the CLI explains)."""
    base = roofline_chart(data, title="Your machine: predicted (circles) vs measured (diamonds)")
    x = _q("intensity", "Arithmetic intensity (FLOP/B, log)", log=True)
    y = _q("attainable", "Attainable FLOP/s (log)", log=True, si=True)
    extra = [
        _layer(data["levels"], {"type": "line", "strokeDash": [2, 3], "color": LEVEL_COLOR},
               {"x": x, "y": y, "detail": _n("level"), "tooltip": _tip("level")}),
        _layer(data["measured"], {"type": "point", "shape": "diamond", "filled": True,
                                  "size": 60, "color": "black"},
               {"x": x, "y": y, "tooltip": _tip("layer", "kind", ("attainable", ".3~s"),
                                                ("ratio", ".2f"), "bound")}),
    ]
    return VegaLite({**base.spec, "layer": base.spec["layer"] + extra})


def your_machine() -> tuple[str, VegaLite | None]:
    """(markdown, chart or None) for the lab's "Your machine" section."""
    report = load_report()
    if report is None:
        return (("## Your machine\n\nNot measured yet (or the cache is unreadable): run "
                "`ridgeline measure --quick` in a terminal, then reload this page to see this "
                "machine's measured roofline with real layers on it."), None)
    dev, s = report["device"], report.get("summary") or {}
    loads = "/".join(f"{x:.2f}" for x in dev.get("load_average") or []) or "n/a"
    text = (f"## Your machine\n\n**{dev.get('name', 'this machine')}**, measured "
            f"{dev.get('measured_at', '?')} (load average {loads}, {dev.get('threads', '?')} "
            "threads). Use it anywhere as device `this-machine`.")
    if s.get("layers"):
        text += (f"\n\nUnder the roof: {s['under_roof_share']:.0%} of {s['layers']} layers · "
                 f"measured/predicted time: median {s['median_ratio']:.2f}, worst "
                 f"{s['worst_ratio']:.2f} · bound agreement {s['bound_agreement']:.0%}")
    ok = "fp32" in dev.get("peaks", {}) and math.isfinite(dev.get("bandwidth") or math.nan)
    return text, machine_chart(machine_roofline(report)) if ok and report["layers"] else None
