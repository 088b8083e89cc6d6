"""The CLI's JSON: each ``--json`` document shaped from the API's objects, and printed.

The numbers are the API's own (``Estimate.to_dict()``, ``Profile.to_dict()``, ...): this module
only adds the context a reader of the document needs (the dims given, the title, the source).
Standard library at import; the engine is imported from :mod:`ridgeline.api` inside functions.
"""

from __future__ import annotations

import json


def _jsonable(x):
    if hasattr(x, "tolist"):  # numpy scalars and arrays
        return x.tolist()
    raise TypeError(f"cannot serialize {type(x).__name__}")


def emit_json(obj) -> None:
    print(json.dumps(obj, indent=2, default=_jsonable))


def op_json(est, dims: dict) -> dict:
    """``ridgeline op --json``: the estimate plus the dimensions as given."""
    return dict(est.to_dict(), dims=dims)


def profile_json(prof, title: str) -> dict:
    """``ridgeline profile MODEL --json``: the profile plus the model's title."""
    return dict(prof.to_dict(), title=title)


def onnx_profile_json(prof, layers, path: str) -> dict:
    """``ridgeline profile FILE.onnx --json``: the profile plus what the import left out."""
    return dict(prof.to_dict(), title=layers.name, workload=None, imported={
        "format": "onnx", "path": path, "unsupported": layers.unsupported,
        "skipped": layers.skipped, "notes": layers.notes})


def sweep_json(res, rows: list[dict]) -> dict:
    """``ridgeline sweep --json``: one object per grid point, under the sweep's context."""
    e = res.estimate
    return {"model": res.model, "layer": res.layer, "param": res.param,
            "hardware": e.hardware, "dtype": e.dtype, "memory_model": e.memory_model,
            "points": rows}


# ---------------------------------------------------------------- hardware


def figure_unit(key: str, work: str) -> str:
    """The unit of a device figure by its key: peaks in work/s, capacities in B, ..."""
    if key.startswith("peak."):
        return work + "/s"
    return {"capacity": "B", "tile": "B", "bandwidth": "B/s", "energy_per_byte": "J/B",
            "tdp_w": "W", "static_w": "W", "cores": ""}[key.split(".")[-1]]


def ridges(hw) -> dict:
    """Ridge point I* = dense peak / memory bandwidth (S35), per format the device has a peak for."""
    from ..api import DTYPES
    return {name: hw.ridge(d) for name, d in DTYPES.items() if d.peak_key in hw.peaks}


def device_summary(hw) -> dict:
    return {"key": hw.key, "name": hw.name, "summary": hw.summary,
            "memory_bytes": hw.memory.capacity.value, "bandwidth": hw.bandwidth,
            "tdp_w": hw.tdp_w.value, "peaks": {k: f.value for k, f in hw.peaks.items()},
            "ridge": ridges(hw)}


def _energy_per_op(hw) -> dict:
    """Joules per FLOP (or op) per format on this device's node, with the source."""
    from ..api import DTYPES, op_energy
    out = {}
    for name, d in DTYPES.items():
        if d.peak_key in hw.peaks:
            f = op_energy(hw, d)
            out[name] = {"value": f.value, "unit": f"J/{d.work_unit}", "source": f.source,
                         "estimate": f.estimate, "note": f.note}
    return out


def device_detail(hw) -> dict:
    """``ridgeline hardware NAME --json``: every figure with its unit and cited source."""
    from ..api import hardware_sources
    figs = hw.figures()
    return dict(device_summary(hw), figures={
        k: {"value": f.value, "unit": figure_unit(k, "FLOP"), "source": f.source,
            "estimate": f.estimate, "note": f.note} for k, f in figs.items()},
        levels={lvl: getattr(hw, lvl).name for lvl in ("memory", "onchip", "weight_store")
                if getattr(hw, lvl) is not None},
        static_w=hw.static_w.value if hw.static_w is not None else 0.0,
        energy_per_op=_energy_per_op(hw),
        sources={s: hardware_sources().get(s, "") for s in
                 sorted({f.source for f in figs.values()}
                        | {e["source"] for e in _energy_per_op(hw).values()})})
