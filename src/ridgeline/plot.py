"""``--plot FILE.svg|png|html``: the lab's roofline and trajectory charts, written to a file.

The charts are the lab's own Vega-Lite specs (:mod:`ridgeline.lab.charts`, importable without
marimo); this module only turns a Profile, a sweep or a crossover into the plain data those
builders take. HTML is written with altair's page template (a dependency); SVG and PNG need the ``plot`` extra
(vl-convert-python), imported only when asked for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import RidgelineError

FORMATS = (".svg", ".png", ".html")


def roofline_data(prof, peak: float, bandwidth: float) -> dict:
    """A Profile -> roofline_chart's data: the roof min(peak, BW.I) and one point per layer
    (attainable = FLOPs / time, what the roofline estimate gives the layer)."""
    points = [{"layer": e.name, "kind": e.kind, "intensity": float(e.intensity),
               "attainable": float(e.flops / e.time_s), "bound": e.bound}
              for e in prof.layers if e.flops > 0 and e.time_s > 0]
    ridge = peak / bandwidth
    xs = [p["intensity"] for p in points] + [ridge]
    lo, hi = min(xs) / 4, max(xs) * 4
    roof = [{"intensity": x, "attainable": min(peak, bandwidth * x)}
            for x in (lo, ridge, hi)]
    return {"roof": roof, "ridge": ridge, "points": points, "work_unit": "FLOP"}


def trajectory_data(label: str, rows: list[dict], ridge: float, current=()) -> dict:
    """Sweep rows (value, intensity, bound) -> trajectory_chart's data for one layer."""
    pts = [{"layer": label, "value": r["value"], "intensity": r["intensity"],
            "bound": r["bound"]} for r in rows if r["intensity"] > 0]
    return {"rows": pts, "ridge": ridge, "current": {"points": list(current)}, "breaks": {}}


def profile_chart(prof, hw):
    from .lab.charts import roofline_chart
    dt = prof.dtype
    data = roofline_data(prof, hw.peak(dt), hw.bandwidth)
    return roofline_chart(data, title=f"Roofline: {prof.model} on {hw.name}, {dt}")


def sweep_chart(res, rows: list[dict]):
    from .lab.charts import trajectory_chart
    ridge = float(np.max(res.estimate.ridge))
    return trajectory_chart(trajectory_data(res.layer or "whole model", rows, ridge), res.param)


def ridge_chart(recipe, x, **kw):
    """The layer's intensity over the crossover's search range, the crossover marked."""
    from .lab.charts import trajectory_chart
    from .sweeping import PARAM_RANGES, sweep
    lo, hi = PARAM_RANGES[x.param]
    rows = sweep(recipe, x.param, lo, hi, 48, layer=x.layer, **kw).rows()
    current = [] if x.crossover is None else [
        {"layer": x.layer, "value": x.crossover, "intensity": x.ridge, "bound": "compute"}]
    return trajectory_chart(trajectory_data(x.layer, rows, x.ridge, current), x.param)


def write(chart, path: str) -> str:
    """Write a lab chart (charts.VegaLite) to ``path``; the format is the file's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise RidgelineError(f"--plot writes {', '.join(FORMATS)} files, got {path!r}")
    if suffix == ".html":  # altair's own page template (vega-embed), the spec unchanged
        import altair as alt
        from altair.utils.html import spec_to_html
        Path(path).write_text(spec_to_html(
            chart.spec, "vega-lite", vega_version=alt.VEGA_VERSION,
            vegalite_version=alt.VEGALITE_VERSION, vegaembed_version=alt.VEGAEMBED_VERSION),
            "utf-8")
        return path
    try:
        import vl_convert as vlc
    except ImportError:
        raise RidgelineError(f"--plot {suffix[1:]} needs vl-convert-python: pip install "
                             "'ridgeline[plot]' (or write .html)") from None
    if suffix == ".svg":
        Path(path).write_text(vlc.vegalite_to_svg(chart.spec), "utf-8")
    else:
        Path(path).write_bytes(vlc.vegalite_to_png(chart.spec, scale=2))
    return path


CHARTS = {"profile": profile_chart, "sweep": sweep_chart, "ridge": ridge_chart}
