"""Vectorized sweeps and the crossover solver (where a layer's intensity meets the ridge).

A sweep builds the model once with the swept parameter as a numpy array: every formula in
the operators is array-friendly, so 512 points cost one pass over the layers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dtypes import get_dtype
from .errors import RidgelineError, check_dim, check_flag, check_size, shown
from .hardware import get_hardware
from .ops import Gemm
from .ops.base import DEFAULT_MEMORY_MODEL
from .pipeline import run
from .recipes import SWEEP_PARAMS, get_model
from .roofline import Estimate, to_python

#: Default search ranges for the crossover solver, per parameter.
PARAM_RANGES = {"batch": (1, 65_536), "seq-len": (1, 1_048_576),
                "resolution": (32, 16_384), "frames": (1, 4_096)}


@dataclass(frozen=True)
class SweepResult:
    model: str
    layer: str | None       # None: the whole model's totals
    param: str
    values: np.ndarray
    estimate: Estimate      # array-valued fields, one entry per value
    fits: np.ndarray        # capacity check per value

    def rows(self) -> list[dict]:
        e = self.estimate
        cols = {"value": self.values, "macs": e.macs, "flops": e.flops, "bytes": e.bytes.total,
                "intensity": e.intensity, "ridge": np.broadcast_to(e.ridge, self.values.shape),
                "bound": np.broadcast_to(e.bound, self.values.shape), "time_s": e.time_s,
                "energy_j": e.energy_j, "fits_memory": np.broadcast_to(self.fits, self.values.shape)}
        cols = {k: np.broadcast_to(v, self.values.shape) for k, v in cols.items()}
        return [{k: to_python(v[i]) for k, v in cols.items()} for i in range(len(self.values))]


def _check_param(recipe, param: str):
    if not isinstance(param, str) or param not in SWEEP_PARAMS:
        raise RidgelineError(f"unknown sweep parameter {shown(param)}; choose one of: {', '.join(SWEEP_PARAMS)}")
    if param not in recipe.params:
        raise RidgelineError(f"{recipe.key} does not scale with {param}; it takes: {', '.join(recipe.params)}")


def _check_args(recipe, param, layer, fixed: dict, *, layer_required=False) -> None:
    """What every sweep entry point shares, checked before any model is built: the parameter,
    the layer's name, and the fixed workload (unknown keys, bad values)."""
    _check_param(recipe, param)
    if not (isinstance(layer, str) or (layer is None and not layer_required)):
        raise RidgelineError(f"layer must be a layer name (a string), got {shown(layer)}")
    recipe.workload(**fixed)


def _check_values(param: str, values) -> np.ndarray:
    """A 1-d array of numbers (never strings or booleans) in [1, MAX_DIM], as floats."""
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.dtype.kind not in "iuf" or arr.ndim != 1:
        raise RidgelineError(f"{param} values must be a 1-d list of numbers, got {shown(values)}")
    return check_dim(param, arr)


def evaluate(model, param, values, layer=None, hardware=None, dtype=None,
             memory_model=DEFAULT_MEMORY_MODEL, **fixed) -> SweepResult:
    """Estimate ``layer`` (or the whole model) at every value of ``param`` in one pass."""
    recipe = get_model(model)
    _check_args(recipe, param, layer, fixed)
    values = _check_values(param, values)
    hw = get_hardware(recipe.default_hardware if hardware is None else hardware)
    dt = get_dtype(recipe.default_dtype if dtype is None else dtype)
    w = recipe.workload(**fixed).with_param(param, values)
    prof = run(recipe.build(w), hw, dt, memory_model, title=recipe.key, workload=w)
    if layer is not None:  # the layer as the whole model places it (capacity, on-chip handoffs)
        return SweepResult(recipe.key, layer, param, values, prof.layer(layer), prof.capacity.fits)
    return SweepResult(recipe.key, None, param, values, prof.totals, prof.capacity.fits)


def sweep(model, param, start, stop, points=64, *, log=True, layer=None, **kw) -> SweepResult:
    """``points`` values of ``param`` from ``start`` to ``stop`` (log-spaced integers by default)."""
    _check_args(get_model(model), param, layer,
                {k: v for k, v in kw.items() if k not in ("hardware", "dtype", "memory_model")})
    start, stop = check_size(f"{param} start", start), check_size(f"{param} stop", stop)
    if stop < start:
        raise RidgelineError(f"sweep range is empty: from {start} to {stop}")
    points = check_size("points", points, maximum=100_000)
    log = check_flag("log", log)
    grid = np.geomspace(start, stop, points) if log else np.linspace(start, stop, points)
    return evaluate(model, param, np.unique(np.round(grid)), layer=layer, **kw)


def _find(layers, name, model):
    for l in layers:
        if l.name == name:
            return l
    raise RidgelineError(f"unknown layer {name!r} in {model}; choose one of: {', '.join(l.name for l in layers)}")


@dataclass(frozen=True)
class Crossover:
    """Where ``layer`` flips bound as ``param`` grows; ``crossover`` is None if it never does."""

    model: str
    layer: str
    param: str
    crossover: float | None     # continuous solution of intensity(p) = ridge
    first_compute_bound: int | None  # smallest whole value on the compute side
    ridge: float
    hardware: str
    dtype: str
    method: str                 # "closed form" or "bisection"
    direction: str              # "memory->compute", "compute->memory" or "none"
    reason: str

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def gemm_crossover_m(n, k, ridge, bytes_per_element, bias=False):
    """Closed form: M* solving 2MNK / (s(MK + KN + MN)) = R  ->  M* = R.s.K.N / (2NK - R.s.(K + N)).

    None when 2NK <= R.s.(K + N): the intensity's limit as M -> inf, 2NK/(s(K + N)), never
    reaches the ridge. Square case (M = N = K): N* = 3.R.s/2. A bias adds N weight elements
    to the bytes: M* = R.s.(K.N + N) / (2NK - R.s.(K + N)).
    """
    r_s = ridge * bytes_per_element
    denom = 2 * n * k - r_s * (k + n)
    weights = k * n + (n if bias else 0)
    return None if denom <= 0 else r_s * weights / denom


def square_gemm_crossover(ridge, bytes_per_element):
    """N* = 3.R.s/2: a square GEMM's intensity is 2N/(3s)."""
    return 3 * ridge * bytes_per_element / 2


def _unit(kw: dict) -> str:
    """FLOP, or op on integer formats (the units every label follows)."""
    return get_dtype(kw["dtype"]).work_unit if kw.get("dtype") else "FLOP"


def crossover(model, layer, param, hardware=None, dtype=None, memory_model=DEFAULT_MEMORY_MODEL,
              lo=None, hi=None, **fixed) -> Crossover:
    """Solve intensity(param) = ridge for one layer: closed form for a Linear layer whose M grows
    linearly with the parameter (compulsory traffic, one memory level), else bisection on a
    log grid refined to 1e-9 relative. Says clearly when it never crosses in [lo, hi]."""
    recipe = get_model(model)
    _check_args(recipe, param, layer, fixed, layer_required=True)
    lo_d, hi_d = PARAM_RANGES[param]
    lo = check_size("lo", lo_d if lo is None else lo)
    hi = check_size("hi", hi_d if hi is None else hi)
    if hi <= lo:
        raise RidgelineError(f"search range is empty: from {lo} to {hi}")
    kw = dict(layer=layer, hardware=hardware, dtype=dtype, memory_model=memory_model, **fixed)
    probe = evaluate(model, param, [lo, hi], **kw)
    base = dict(model=recipe.key, layer=layer, param=param, ridge=float(probe.estimate.ridge[0])
                if np.ndim(probe.estimate.ridge) else float(probe.estimate.ridge),
                hardware=probe.estimate.hardware, dtype=probe.estimate.dtype)
    closed = _closed_form(recipe, layer, param, memory_model, probe, kw)
    if closed is not None:
        return Crossover(**base, **_within(closed, param, lo, hi))
    return Crossover(**base, **_bisect(model, param, lo, hi, kw))


def _within(closed: dict, param: str, lo, hi) -> dict:
    """The closed form answers for every value; report 'never crosses' outside [lo, hi] as
    bisection would, so both methods mean the same thing."""
    p = closed["crossover"]
    if p is None or lo <= p <= hi:
        return closed
    side = "compute" if p < lo else "memory"
    return dict(closed, crossover=None, first_compute_bound=None, direction="none",
                reason=f"never crosses: {side}-bound for every {param} in [{lo:,}, {hi:,}] "
                       f"(the closed form puts the crossover at {p:,.4g})")


def _gap(model, param, values, kw):
    e = evaluate(model, param, values, **kw).estimate
    # a layer that does not depend on the parameter (e.g. fc vs resolution) gives scalars;
    # one with no FLOPs (an embedding lookup) has log(0) = -inf: memory-bound, no warning
    with np.errstate(divide="ignore"):
        return np.broadcast_to(np.log(e.intensity) - np.log(e.ridge), np.shape(values))


def _refine(model, param, a, b, gap_a, kw, points=256, rtol=1e-9):
    """Shrink the bracket [a, b] around the sign change by evaluating ``points`` log-spaced
    values at once per round (vectorized bisection: each round divides the bracket by
    ~points, so 1e-9 relative takes 3-4 model builds instead of ~60 scalar ones)."""
    while b / a - 1 > rtol:
        grid = np.geomspace(a, b, points)
        gap = _gap(model, param, grid, kw)
        same = np.nonzero(np.sign(gap) == np.sign(gap_a))[0]
        j = same[-1] if len(same) else 0
        if j + 1 >= len(grid):  # numerical tie at b: the flip is at b
            break
        a, b, gap_a = float(grid[j]), float(grid[j + 1]), gap[j]
    return a, b


def _bisect(model, param, lo, hi, kw) -> dict:
    grid = np.unique(np.round(np.geomspace(lo, hi, 512)))
    gap = _gap(model, param, grid, kw)
    flips = np.nonzero(np.sign(gap[:-1]) != np.sign(gap[1:]))[0]
    if len(flips) == 0:
        side = "memory" if gap[-1] < 0 else "compute"
        e = evaluate(model, param, grid[[0, -1]], **kw).estimate
        i0, i1 = np.broadcast_to(e.intensity, (2,))
        return dict(crossover=None, first_compute_bound=None, method="bisection", direction="none",
                    reason=f"never crosses: {side}-bound for every {param} in [{lo:,}, {hi:,}] "
                           f"(intensity {i0:.3g} -> {i1:.3g} {_unit(kw)}/B vs ridge "
                           f"{float(np.max(e.ridge)):.3g})")
    # the last flip: beyond it the bound holds to the end of the range (a non-monotonic
    # intensity may flip more than once; the reason says so)
    i = flips[-1]
    _, b = _refine(model, param, float(grid[i]), float(grid[i + 1]), gap[i], kw)
    up = gap[i] < 0
    first = int(np.ceil(b)) if up else None
    way = "memory->compute" if up else "compute->memory"
    more = (f" (the bound changes {len(flips)} times in range; this is the last)"
            if len(flips) > 1 else "")
    return dict(crossover=float(b), first_compute_bound=first, method="bisection", direction=way,
                reason=f"flips {way} at {param} ~ {b:,.4g}{more}")


def _closed_form(recipe, layer, param, memory_model, probe, kw) -> dict | None:
    """Closed form for a Gemm whose M scales linearly with the parameter and N, K do not."""
    if memory_model != "compulsory" or param not in ("batch", "seq-len", "frames"):
        return None
    w = recipe.workload(**{k: v for k, v in kw.items() if k not in
                           ("layer", "hardware", "dtype", "memory_model")})
    one, two = (_find(recipe.build(w.with_param(param, v)), layer, recipe.key).op for v in (1, 2))
    if not (isinstance(one, Gemm) and one.weight_operand and two.m == 2 * one.m
            and (one.n, one.k) == (two.n, two.k)) or probe.estimate.weights_in != "memory":
        return None
    ridge = float(np.max(probe.estimate.ridge))
    s = get_dtype(probe.estimate.dtype).bytes
    m_star = gemm_crossover_m(one.n, one.k, ridge, s, bias=one.bias)
    if m_star is None:
        limit = 2 * one.n * one.k / (s * (one.n + one.k))
        return dict(crossover=None, first_compute_bound=None, method="closed form", direction="none",
                    reason=f"never crosses: intensity tends to 2NK/(s(N+K)) = {limit:.3g} < ridge {ridge:.3g}")
    p = m_star / one.m
    return dict(crossover=p, first_compute_bound=int(np.ceil(p)), method="closed form",
                direction="memory->compute",
                reason=f"M* = R.s.K.N / (2NK - R.s.(K+N)) = {m_star:,.4g} rows -> {param} = {p:,.4g}")
