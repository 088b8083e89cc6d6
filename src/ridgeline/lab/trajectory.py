"""Part 2's Intensity Trajectory: intensity, FLOPs and bytes of chosen layers over the range
of one slider, and where scaling breaks the system (capacity, deadline).

One vectorized build per sweep: the recipe's workload takes an array for the swept
parameter and ``pipeline.run`` evaluates every layer at every value at once (cached, the app
calls this on every slider move).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..dtypes import get_dtype
from ..errors import RidgelineError
from ..hardware import get_hardware
from ..pipeline import run
from ..recipes import get_model
from ..sweeping import Crossover, crossover, evaluate
from .story import EFFECTIVE, is_effective, level_ridges, ridge_of_level
from .tracks import Track, get_track, time_budget, track_profile, workload_kwargs


def scale_grid(track, param: str | None = None, points: int = 40) -> np.ndarray:
    """Log-spaced whole values over the slider range of ``param`` (default: the scale param)."""
    t = get_track(track)
    lo, hi, _ = t.sliders[param or t.scale_param]
    return np.unique(np.round(np.geomspace(lo, hi, points)))


def param_field(param: str) -> str:
    """The Workload field a slider parameter sets ('seq-len' -> 'seq_len')."""
    return {"batch": "batch", "seq-len": "seq_len", "frames": "frames", "resolution": "resolution"}[param]


@lru_cache(maxsize=128)
def _sweep(track_key, param, values, fixed_items, memory_model):
    """All layers and the total at every value of ``param``: one vectorized build."""
    t = get_track(track_key)
    recipe, hw, dt = get_model(t.model), get_hardware(t.hardware), get_dtype(t.dtype)
    fixed = dict(fixed_items)
    w = recipe.workload(**fixed).with_param(param, np.asarray(values, dtype=float))
    prof = run(recipe.build(w), hw, dt, memory_model, title=recipe.key, workload=w)
    return {e.name: e for e in prof.layers}, prof.totals, prof.capacity


def trajectory(track, batch=None, scale=None, layers=None, param=None, points=40,
               memory_model="compulsory") -> dict:
    """Part 2's Intensity Trajectory data over the slider range of ``param``.

    rows: one per (layer, value) with intensity, FLOPs, bytes, bound and the ridge that bound
    is judged against (``effective`` where it is no level's: the layer's byte mix; long format
    for charts); growth: FLOPs and bytes of each layer relative to the first grid value (the
    companion chart: who grows faster decides whether intensity rises);
    ridges: the device's ridge per memory level; ridge: the one vs the level the weights are
    read from (``ridge_label``); crossings: where a drawn layer flips bound, the solver's value
    (the probes' verdicts flip there too); current: each layer at the slider position; breaks:
    the first value where the model's footprint exceeds device memory and where one pass
    misses its time budget.
    """
    t = get_track(track)
    param = param or t.scale_param
    layers = list(layers or t.trajectory_layers)
    values = scale_grid(t, param, points)
    fixed = fixed_without(t, param, batch, scale)
    by_name, tot, cap = _sweep(t.key, param, tuple(values), fixed, memory_model)
    rows, growth = [], []
    for name in layers:
        if name not in by_name:
            raise RidgelineError(f"unknown layer {name!r} in {t.model}")
        r, g = _layer_rows(name, by_name[name], values)
        rows += r
        growth += g
    main = ridge_of_level(t.hardware, t.dtype, str(cap.weights_in))
    return {"param": param, "values": values.tolist(), "rows": rows, "growth": growth,
            "ridge": main["ridge"], "ridge_label": main["label"],
            "ridges": level_ridges(t.hardware, t.dtype),
            "crossings": crossings(t, param, rows, fixed, memory_model),
            "current": _current(t, layers, batch, scale, param),
            # time follows where the bytes live (placed), as every other time the lab shows
            "breaks": _breaks(t, param, values, _sweep(t.key, param, tuple(values), fixed,
                                                       "placed")[1], cap, dict(fixed))}


def sweep_at(track, values, batch=None, memory_model="compulsory") -> tuple:
    """(layer name -> Estimate, totals, capacity) at each of ``values`` of the scale slider,
    the other settings at ``batch`` and the defaults: one vectorized build (cached)."""
    t = get_track(track)
    fixed = fixed_without(t, t.scale_param, batch, None)
    return _sweep(t.key, t.scale_param, tuple(float(v) for v in values), fixed, memory_model)


def _layer_rows(name: str, e, values) -> tuple[list, list]:
    """One layer's trajectory rows and its growth ratios X(v) / X(v_0) for X = FLOPs, bytes."""
    arr = lambda x: np.broadcast_to(np.asarray(x, dtype=float), values.shape)
    inten, fl, by, ridge = arr(e.intensity), arr(e.flops), arr(e.bytes.total), arr(e.ridge)
    bound = np.where(inten < ridge, "memory", "compute")
    eff = is_effective(ridge, e.hardware, e.dtype)
    rows, growth = [], []
    for i, v in enumerate(values):
        rows.append({"layer": name, "value": float(v), "intensity": float(inten[i]),
                     "flops": float(fl[i]), "bytes": float(by[i]), "bound": str(bound[i]),
                     "ridge": float(ridge[i]), "effective": bool(eff[i])})
        growth += [{"layer": name, "value": float(v), "quantity": "FLOPs", "ratio": float(fl[i] / fl[0])},
                   {"layer": name, "value": float(v), "quantity": "bytes", "ratio": float(by[i] / by[0])}]
    return rows, growth


def crossings(t: Track, param: str, rows: list, fixed: tuple, memory_model: str) -> list[dict]:
    """Where each drawn layer flips bound along ``param``: :func:`crossing` for every layer
    whose rows change bound."""
    names = dict.fromkeys(r["layer"] for r in rows)
    flips = [n for n in names if len({r["bound"] for r in rows if r["layer"] == n}) > 1]
    return [c for c in (crossing(t, n, param, fixed, memory_model) for n in flips) if c]


def crossing(t: Track, layer: str, param: str, fixed: tuple, memory_model="compulsory") -> dict | None:
    """The solver's crossover of ``layer`` along ``param`` over the slider's range (the 5-move
    rule's search), with the layer's intensity there and the ridge it meets (a level's, or
    its byte mix's: ``effective``); None if it never flips in range."""
    c = _crossing(t.key, layer, param, fixed, memory_model)
    return dict(c) if c else None


@lru_cache(maxsize=256)
def _crossing(track_key, layer, param, fixed, memory_model) -> dict | None:
    t = get_track(track_key)
    lo, hi, _ = t.sliders[param]
    c = solver_crossover(t.model, layer, param, t.hardware, t.dtype, fixed, lo, hi, memory_model)
    if c.crossover is None:
        return None
    e = evaluate(t.model, param, [c.crossover], layer=layer, hardware=t.hardware, dtype=t.dtype,
                 memory_model=memory_model, **dict(fixed)).estimate
    ridge = float(np.ravel(e.ridge)[0])
    eff = bool(is_effective(ridge, t.hardware, t.dtype))
    return {"layer": layer, "value": float(c.crossover), "intensity": float(np.ravel(e.intensity)[0]),
            "ridge": ridge, "effective": eff, "direction": c.direction,
            "what": f"{layer} flips {c.direction} (solver)" + (f"; {EFFECTIVE}" if eff else "")}


@lru_cache(maxsize=256)
def solver_crossover(model, layer, param, hardware, dtype, fixed, lo=None, hi=None,
                     memory_model="compulsory") -> Crossover:
    """The crossover solver (ridgeline.sweeping), cached: the trajectory's marks and the
    5-move rule's reveal call it with the same arguments, so they show the same value."""
    return crossover(model, layer, param, hardware, dtype, memory_model, lo=lo, hi=hi, **dict(fixed))


def fixed_without(t: Track, param, batch, scale) -> tuple:
    """The workload fields other than ``param`` (a cache key that ignores the swept slider)."""
    kw = workload_kwargs(t, batch, scale)
    if param == "resolution":  # only its aspect ratio matters: with_param sets the width
        kw["resolution"] = workload_kwargs(t, batch)["resolution"]
    else:
        kw.pop(param_field(param))
    return tuple(sorted(kw.items()))


def _current(t: Track, layers, batch, scale, param) -> dict:
    """Each trajectory layer at the slider position (the highlighted points)."""
    p = track_profile(t, batch, scale)
    value = workload_kwargs(t, batch, scale)[param_field(param)]
    value = value[0] if param == "resolution" else value
    return {"value": float(value),
            "points": [{"layer": n, "value": float(value), "intensity": float(p.layer(n).intensity),
                        "bound": p.layer(n).bound} for n in layers]}


def _breaks(t: Track, param, values, tot, cap, fixed) -> dict:
    """Where scaling breaks the system: capacity (footprint > memory) and the time budget per
    run (tracks.time_budget: the deadline; Tiny's also less its buffering, and its hops)."""
    shape = values.shape
    fits = np.broadcast_to(cap.fits, shape)
    time_s = np.broadcast_to(np.asarray(tot.time_s, dtype=float), shape)
    budget = np.broadcast_to(time_budget(t, {**fixed, param_field(param): values}), shape)
    late = time_s > budget
    first = lambda mask: float(values[np.argmax(mask)]) if mask.any() else None
    return {"fits": fits.tolist(), "first_unfit": first(~fits),
            "time_s": time_s.tolist(), "time_budget_s": budget.tolist(), "first_late": first(late),
            "memory_bytes": float(cap.memory_bytes)}
