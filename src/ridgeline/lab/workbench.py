"""Workbench data for the lab: plain dicts and lists, ready for tables and charts.

Part 1: :func:`layer_card` (the Layer Profiler) and :func:`compare_linear_conv` (weight reuse).
Part 2: :func:`trajectory` (intensity, FLOPs and bytes over the scaled parameter, where the
system breaks) and :class:`ProbeGame` (the 5-move rule, then the solver's crossover).
Everywhere: :func:`roofline` (layers on the device roof) and :func:`math_peek` (LaTeX with the
current numbers substituted). Every number comes from the engine; nothing here is a constant
of the physics. Results are cached: the app calls these on every slider move.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from ..dtypes import get_dtype
from ..energy import energy_per_flop
from ..errors import RidgelineError
from ..hardware import get_hardware
from ..ops import Attention, Conv2d, Gemm
from ..pipeline import run
from ..recipes import get_model
from ..roofline import Estimate
from ..sweeping import Crossover, crossover
from .challenge import design_layers
from .tracks import Track, get_track, time_budget, track_profile, workload_kwargs

# --------------------------------------------------------------------------------- Part 1


def _py(x):
    return x.item() if isinstance(x, np.generic) else x


def card_from_estimate(e: Estimate, group: str = "") -> dict:
    """One layer's profiler card; extensive numbers are for ONE copy (``count`` copies run).

    gauge_fraction = min(1, intensity / ridge): how far up the ridge the layer gets;
    gauge_log_fraction puts it on a log dial from ridge/1000 (0) to the ridge (1), where a
    decode layer at 1 % of the ridge still shows.
    weight_reuse = MACs / weights: how many times each weight is used per pass (a Linear
    on M rows: M; a conv: N.H_out.W_out); flops_per_weight_byte = FLOPs / weight bytes.
    """
    n = e.count
    b = {k: float(v) / n for k, v in e.bytes.as_dict().items()}
    intensity, ridge = float(e.intensity), float(e.ridge)
    params = float(e.params) / n
    macs = float(e.macs) / n
    return {
        "name": e.name, "kind": e.kind, "group": group, "count": n,
        "macs": macs, "flops": float(e.flops) / n, "bytes": b, "params": params,
        "intensity": intensity, "ridge": ridge, "ridge_ratio": intensity / ridge,
        "gauge_fraction": min(1.0, intensity / ridge), "bound": _py(e.bound),
        "gauge_log_fraction": _log_dial(intensity, ridge),
        "time_s": float(e.time_s) / n, "energy_j": float(e.energy_j) / n,
        "attainable_flops": float(e.attainable_flops), "peak": float(e.peak),
        "weight_reuse": macs / params if params else None,
        "flops_per_weight_byte": float(e.flops) / n / b["weights"] if b["weights"] else None,
        "hardware": e.hardware, "dtype": e.dtype, "work_unit": get_dtype(e.dtype).work_unit,
        "weights_in": e.weights_in, "memory_model": e.memory_model,
    }


def _log_dial(intensity: float, ridge: float, decades: float = 3.0) -> float:
    if intensity <= 0:
        return 0.0
    return float(np.clip(1 + np.log10(intensity / ridge) / decades, 0.0, 1.0))


def layer_card(track, layer: str, batch=None, scale=None, memory_model="compulsory") -> dict:
    """The Layer Profiler card for ``layer`` of the track's model at a slider position."""
    p = track_profile(track, batch, scale, memory_model=memory_model)
    return card_from_estimate(p.layer(layer), p.layer_groups.get(layer, ""))


def compare_linear_conv(track, batch=None, scale=None) -> dict:
    """Part 1's comparison: the track's Linear layer beside its conv (attention for Cloud).

    For Cloud, whose model has no convolution, a third row shows the conv-equivalent: the
    same Linear weights applied at every one of the prompt's T positions (prefill) - exactly
    a 1x1 convolution sliding over the sequence, so each weight is reused B.T times.
    ``more_memory_bound`` names the row with the lowest intensity.
    """
    t = get_track(track)
    rows = [dict(layer_card(t, t.linear_layer, batch, scale), role="linear"),
            dict(layer_card(t, t.conv_layer, batch, scale), role="conv" if t.key != "cloud" else "attention")]
    if t.key == "cloud":
        p = track_profile(t, batch, scale, phase="prefill")
        eq = card_from_estimate(p.layer(t.linear_layer), "ffn")
        tokens = p.workload.seq_len
        eq.update(role="conv-equivalent",
                  name=f"{t.linear_layer} as a 1x1 conv over the {tokens:,}-token prompt (prefill)")
        rows.append(eq)
    lowest = min(rows[:2], key=lambda r: r["intensity"])
    return {"rows": rows, "more_memory_bound": lowest["name"], "ridge": rows[0]["ridge"]}


# --------------------------------------------------------------------------------- Part 2


def scale_grid(track, param: str | None = None, points: int = 40) -> np.ndarray:
    """Log-spaced whole values over the slider range of ``param`` (default: the scale param)."""
    t = get_track(track)
    lo, hi, _ = t.sliders[param or t.scale_param]
    return np.unique(np.round(np.geomspace(lo, hi, points)))


def _param_field(param):
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

    rows: one per (layer, value) with intensity, FLOPs, bytes, bound (long format for charts);
    growth: FLOPs and bytes of each layer relative to the first grid value (the companion
    chart: who grows faster decides whether intensity rises);
    current: each layer at the slider position; breaks: the first value where the model's
    footprint exceeds device memory and where one pass misses the deadline.
    """
    t = get_track(track)
    param = param or t.scale_param
    layers = list(layers or t.trajectory_layers)
    values = scale_grid(t, param, points)
    fixed = _fixed_without(t, param, batch, scale)
    by_name, tot, cap = _sweep(t.key, param, tuple(values), fixed, memory_model)
    shape = values.shape
    arr = lambda x: np.broadcast_to(np.asarray(x, dtype=float), shape)
    rows, growth = [], []
    for name in layers:
        if name not in by_name:
            raise RidgelineError(f"unknown layer {name!r} in {t.model}")
        e = by_name[name]
        inten, fl, by = arr(e.intensity), arr(e.flops), arr(e.bytes.total)
        bound = np.where(inten < arr(e.ridge), "memory", "compute")
        for i, v in enumerate(values):
            rows.append({"layer": name, "value": float(v), "intensity": float(inten[i]),
                         "flops": float(fl[i]), "bytes": float(by[i]), "bound": str(bound[i])})
            growth += [{"layer": name, "value": float(v), "quantity": "FLOPs", "ratio": float(fl[i] / fl[0])},
                       {"layer": name, "value": float(v), "quantity": "bytes", "ratio": float(by[i] / by[0])}]
    return {"param": param, "values": values.tolist(), "rows": rows, "growth": growth,
            "ridge": float(np.max(tot.ridge)), "current": _current(t, layers, batch, scale, param),
            "breaks": _breaks(t, param, values, tot, cap, dict(fixed))}


def _fixed_without(t: Track, param, batch, scale) -> tuple:
    """The workload fields other than ``param`` (a cache key that ignores the swept slider)."""
    kw = workload_kwargs(t, batch, scale)
    if param == "resolution":  # only its aspect ratio matters: with_param sets the width
        kw["resolution"] = workload_kwargs(t, batch)["resolution"]
    else:
        kw.pop(_param_field(param))
    return tuple(sorted(kw.items()))


def _current(t: Track, layers, batch, scale, param) -> dict:
    p = track_profile(t, batch, scale)
    value = workload_kwargs(t, batch, scale)[_param_field(param)]
    value = value[0] if param == "resolution" else value
    return {"value": float(value),
            "points": [{"layer": n, "value": float(value), "intensity": float(p.layer(n).intensity),
                        "bound": p.layer(n).bound} for n in layers]}


def _breaks(t: Track, param, values, tot, cap, fixed) -> dict:
    """Where scaling breaks the system: capacity (footprint > memory) and the deadline."""
    shape = values.shape
    fits = np.broadcast_to(cap.fits, shape)
    time_s = np.broadcast_to(np.asarray(tot.time_s, dtype=float), shape)
    budget = np.broadcast_to(time_budget(t, {**fixed, _param_field(param): values}), shape)
    late = time_s > budget
    first = lambda mask: float(values[np.argmax(mask)]) if mask.any() else None
    return {"fits": fits.tolist(), "first_unfit": first(~fits),
            "time_s": time_s.tolist(), "time_budget_s": budget.tolist(), "first_late": first(late),
            "memory_bytes": float(cap.memory_bytes)}


# ----------------------------------------------------------------------- the 5-move rule


@dataclass(frozen=True)
class ProbeGame:
    """Five committed probes to bracket where ``layer`` flips bound as ``param`` grows.

    Immutable: :meth:`probe` returns a new game. Answers come from the engine at the probed
    value with the other workload fields fixed; after ``limit`` probes :meth:`crossover`
    gives the solver's exact answer.
    """

    track: str
    layer: str
    param: str
    fixed: tuple          # the other workload fields, as sorted items
    lo: int
    hi: int
    probes: tuple = ()    # ((value, "memory" | "compute"), ...)
    limit: int = 5

    @property
    def used(self) -> int:
        return len(self.probes)

    @property
    def remaining(self) -> int:
        return self.limit - self.used

    @property
    def done(self) -> bool:
        return self.used >= self.limit

    def answer(self, value) -> str:
        """'memory' or 'compute': the layer's bound at ``value`` (engine)."""
        return _bound_at(self.track, self.layer, self.param, float(value), self.fixed)

    def probe(self, value) -> ProbeGame:
        if self.done:
            raise RidgelineError(f"all {self.limit} probes are used")
        try:
            v = round(float(value))
        except (TypeError, ValueError, OverflowError):
            raise RidgelineError(f"a probe must be a whole number, got {value!r}") from None
        if not self.lo <= v <= self.hi:
            raise RidgelineError(f"probe {v} is outside [{self.lo:,}, {self.hi:,}]")
        return replace(self, probes=self.probes + ((v, self.answer(v)),))

    @property
    def low_side(self) -> str:
        """The bound at the bottom of the range (the side a crossover starts from)."""
        return self.answer(self.lo)

    @property
    def bracket(self) -> tuple:
        """(largest probe on the low side, smallest probe on the other side), None if unknown."""
        low = [v for v, a in self.probes if a == self.low_side]
        high = [v for v, a in self.probes if a != self.low_side]
        return (max(low) if low else None, min(high) if high else None)

    def crossover(self) -> Crossover:
        t = get_track(self.track)
        return _crossover(t.model, self.layer, self.param, t.hardware, t.dtype, self.fixed)

    def reveal(self) -> dict:
        """The solver's answer beside the student's bracket (call when :attr:`done`)."""
        c = self.crossover()
        lo, hi = self.bracket
        inside = c.crossover is not None and (lo or self.lo) <= c.crossover <= (hi or self.hi)
        return {"crossover": c.crossover, "text": _crossover_text(c), "reason": c.reason,
                "direction": c.direction, "bracket": [lo, hi], "bracket_contains": bool(inside),
                "in_range": c.crossover is not None and self.lo <= c.crossover <= self.hi,
                "ridge": c.ridge}

    def to_dict(self) -> dict:
        return {"track": self.track, "layer": self.layer, "param": self.param,
                "probes": [list(p) for p in self.probes], "used": self.used, "limit": self.limit}


def new_game(track, batch=None, scale=None, layer=None, param=None) -> ProbeGame:
    t = get_track(track)
    param = param or t.probe_parameter
    if param not in t.sliders:
        raise RidgelineError(f"track {t.key} has no slider for {param!r}; choose one of: {', '.join(t.sliders)}")
    lo, hi, _ = t.sliders[param]
    fixed = _fixed_without(t, param, batch, scale)
    return ProbeGame(t.key, layer or t.probe_layer, param, fixed, int(lo), int(hi))


@lru_cache(maxsize=1024)
def _bound_at(track_key, layer, param, value, fixed) -> str:
    t = get_track(track_key)
    w = get_model(t.model).workload(**dict(fixed)).with_param(param, int(value))
    p = track_profile(t, w.batch, w.param_value(t.scale_param))
    return str(p.layer(layer).bound)


@lru_cache(maxsize=256)
def _crossover(model, layer, param, hardware, dtype, fixed) -> Crossover:
    return crossover(model, layer, param, hardware, dtype, **dict(fixed))


def _crossover_text(c: Crossover) -> str:
    if c.crossover is None:
        return "never crosses"
    return f"Crossover at {c.param} = {c.crossover:,.4g} ({c.direction})"


def crossover_for(track, batch=None, scale=None, layer=None, param=None) -> Crossover:
    """The solver's crossover for the track's probe layer (or ``layer``) at a slider position."""
    return new_game(track, batch, scale, layer, param).crossover()


# --------------------------------------------------------------------------------- roofline


def roofline(track, batch=None, scale=None, layers=None, points=64) -> dict:
    """Roofline chart data: the device roof min(peak, BW x I) and the layers placed on it.

    Each point's attainable FLOP/s is the engine's FLOPs / time (for weights streamed from a
    slower store it sits below the DRAM roof, as it should).
    """
    t = get_track(track)
    p = track_profile(t, batch, scale)
    chosen = [p.layer(n) for n in layers] if layers else [e for e in p.layers if float(e.flops) > 0]
    return _roofline_data(t, t.dtype, chosen, p.layer_groups, points)


def design_roofline(track, choices: dict, batch=None, scale=None, points=64) -> dict:
    """Roofline chart data for a Part 3 design: its layers (as the challenge builds them, at the
    design's precision) on the track's device, same shape as :func:`roofline`."""
    t = get_track(track)
    built, dtype, _ = design_layers(t, choices, batch, scale)
    prof = run(built, get_hardware(t.hardware), get_dtype(dtype), "compulsory")
    chosen = [e for e in prof.layers if float(e.flops) > 0]
    return _roofline_data(t, dtype, chosen, prof.layer_groups, points)


def _roofline_data(t: Track, dtype: str, chosen: list, groups: dict, points: int) -> dict:
    hw = get_hardware(t.hardware)
    peak, bw = hw.peak(dtype), hw.bandwidth
    ints = [float(e.intensity) for e in chosen]
    lo = min([0.1, *ints]) / 2
    hi = max([10 * peak / bw, *ints]) * 2
    grid = np.geomspace(lo, hi, points)
    return {
        "roof": [{"intensity": float(i), "attainable": float(min(peak, bw * i))} for i in grid],
        "ridge": peak / bw, "peak": peak, "bandwidth": bw, "work_unit": t.work_unit,
        "points": [{"layer": e.name, "group": groups.get(e.name, ""), "kind": e.kind,
                    "intensity": float(e.intensity), "attainable": float(e.attainable_flops),
                    "bound": e.bound, "flops": float(e.flops) / e.count} for e in chosen],
    }


# ------------------------------------------------------------------------------- math peek


def _n(x) -> str:
    """A whole number with LaTeX thousands separators, else 4 significant figures."""
    x = float(x)
    if x == int(x) and abs(x) < 1e16:
        return f"{int(x):,}".replace(",", "{,}")
    return f"{x:.4g}"


def latex_number(x) -> str:
    """4 significant figures; powers of ten as LaTeX (1.879 \\times 10^{9})."""
    text = f"{float(x):.4g}"
    if "e" in text:
        mant, exp = text.split("e")
        return rf"{mant} \times 10^{{{int(exp)}}}"
    return text


_i = latex_number  # short name for the formula strings below


def gemm_latex(op: Gemm, s: float) -> str:
    """I = 2MNK / ((MK + KN + MN).s) with the numbers substituted (bias adds N weights)."""
    m, n, k = op.m, op.n, op.k
    bias = f" + {_n(n)}" if op.bias else ""
    value = 2 * m * n * k / ((m * k + k * n + m * n + (n if op.bias else 0)) * s)
    return (r"I = \frac{2MNK}{(MK + KN + MN)\cdot s} = "
            rf"\frac{{2 \cdot {_n(m)} \cdot {_n(n)} \cdot {_n(k)}}}"
            rf"{{({_n(m)} \cdot {_n(k)} + {_n(k)} \cdot {_n(n)} + {_n(m)} \cdot {_n(n)}{bias}) \cdot {_i(s)}}}"
            rf" = {_i(value)}")


def conv_latex(op: Conv2d, s: float) -> str:
    """I = 2.N.Ho.Wo.Co.(Ci/g).Kh.Kw / ((N.Ci.H.W + Kh.Kw.(Ci/g).Co + N.Co.Ho.Wo).s)."""
    nb, ci, co, g = op.batch, op.in_channels, op.out_channels, op.groups
    h, w, ho, wo, kh, kw = op.height, op.width, op.out_height, op.out_width, op.kernel_h, op.kernel_w
    cig = ci // g
    macs = nb * ho * wo * co * cig * kh * kw
    elems = nb * ci * h * w + kh * kw * cig * co + (co if op.bias else 0) + nb * co * ho * wo
    return (r"I = \frac{2\,N H_o W_o C_o (C_i/g) K_h K_w}{(N C_i H W + K_h K_w (C_i/g) C_o + N C_o H_o W_o)\cdot s}"
            rf" = \frac{{2 \cdot {_n(nb)} \cdot {_n(ho)} \cdot {_n(wo)} \cdot {_n(co)} \cdot {_n(cig)} \cdot {_n(kh)} \cdot {_n(kw)}}}"
            rf"{{({_n(nb)} \cdot {_n(ci)} \cdot {_n(h)} \cdot {_n(w)} + {_n(kh)} \cdot {_n(kw)} \cdot {_n(cig)} \cdot {_n(co)}"
            rf" + {_n(nb)} \cdot {_n(co)} \cdot {_n(ho)} \cdot {_n(wo)}) \cdot {_i(s)}}} = {_i(2 * macs / (elems * s))}")


def attention_latex(op: Attention, s: float, memory_model: str = "compulsory") -> str:
    """I = 4.B.H.d.P / ((Q + O + K,V + scores).s), P = query-key pairs (T in decode)."""
    tr = op.traffic(memory_model)
    b, h, d = op.batch, op.heads, op.head_dim
    flops = op.flops()
    if op.phase == "decode":
        head = (r"I_{\text{decode}} = \frac{4 B H d T}{(2 B H d + 2 B H_{kv} T d + 4 B H T)\cdot s}"
                rf" = \frac{{4 \cdot {_n(b)} \cdot {_n(h)} \cdot {_n(d)} \cdot {_n(op.seq_len)}}}")
    else:
        head = (r"I_{\text{prefill}} = \frac{4 B H d P}{(Q + K + V + O + \text{scores})\cdot s},\ P = \tfrac{T(T+1)}{2}"
                rf" = \frac{{4 \cdot {_n(b)} \cdot {_n(h)} \cdot {_n(d)} \cdot {_n(op.pairs)}}}")
    parts = [tr.inputs + tr.outputs, tr.kv_cache, tr.scratch]
    denom = " + ".join(_n(x) for x in parts if x)
    return head + rf"{{({denom}) \cdot {_i(s)}}} = {_i(flops / (tr.total * s))}"


def energy_latex(e: Estimate, e_op: float, e_mem: float, e_w: float) -> str:
    """E = FLOPs.e_op + activation bytes.e_mem + weight bytes.e_weights (one copy)."""
    n = e.count
    fl, act, wts = float(e.flops) / n, float(e.bytes.activations) / n, float(e.bytes.weights) / n
    value = fl * e_op + act * e_mem + wts * e_w + float(e.energy_static_j) / n
    static = r" + P_{\text{static}} t" if float(e.energy_static_j) else ""
    return (r"E = F \cdot e_{op} + B_{act} \cdot e_{mem} + B_{w} \cdot e_{w}" + static + " = "
            rf"{_i(fl)} \cdot {_i(e_op * 1e12)}\,\text{{pJ}} + {_i(act)} \cdot {_i(e_mem * 1e12)}\,\text{{pJ}}"
            rf" + {_i(wts)} \cdot {_i(e_w * 1e12)}\,\text{{pJ}} = {_i(value)}\ \text{{J}}")


def roofline_latex(e: Estimate) -> str:
    n = e.count
    tc, tm = float(e.time_compute_s) / n, float(e.time_memory_s) / n
    return (r"t = \max\!\left(\frac{F}{P_{peak}}, \frac{B}{BW}\right) = "
            rf"\max({_i(tc * 1e3)}\,\text{{ms}}, {_i(tm * 1e3)}\,\text{{ms}}) = {_i(max(tc, tm) * 1e3)}\,\text{{ms}};"
            rf"\quad I^* = \frac{{P_{{peak}}}}{{BW}} = {_i(e.ridge)}")


def op_latex(op, s: float) -> str | None:
    """The intensity formula for ``op`` with its numbers, or None for bandwidth operators."""
    if isinstance(op, Gemm):
        return gemm_latex(op, s)
    if isinstance(op, Conv2d):
        return conv_latex(op, s)
    if isinstance(op, Attention):
        return attention_latex(op, s)
    return None


def math_peek(track, layer=None, batch=None, scale=None) -> dict:
    """LaTeX for the selected layer (its own form, energy, roofline) and the track's GEMM,
    conv and attention layers, with the current numbers substituted."""
    t = get_track(track)
    layer = layer or t.linear_layer
    ops = {l.name: l.op for l in track_layers(t, batch, scale)}
    p = track_profile(t, batch, scale)
    s = get_dtype(t.dtype).bytes
    hw = get_hardware(t.hardware)
    e = p.layer(layer)
    w_level = hw.weight_store if e.weights_in == "weight_store" else hw.memory
    out = {"layer": op_latex(ops[layer], s),
           "energy": energy_latex(e, energy_per_flop(t.dtype).value, hw.memory.energy_per_byte.value,
                                  w_level.energy_per_byte.value),
           "roofline": roofline_latex(e),
           "gemm": op_latex(ops[t.linear_layer], s), "conv": None, "attention": None}
    for op in ops.values():
        if isinstance(op, Conv2d) and out["conv"] is None:
            out["conv"] = conv_latex(ops[t.conv_layer] if isinstance(ops.get(t.conv_layer), Conv2d) else op, s)
        if isinstance(op, Attention) and out["attention"] is None:
            out["attention"] = attention_latex(op, s)
    return out


@lru_cache(maxsize=256)
def _layers(model, items):
    recipe = get_model(model)
    return recipe.build(recipe.workload(**dict(items)))


def track_layers(track, batch=None, scale=None, **extra) -> list:
    """The track's built layers (ops) at a slider position (cached)."""
    t = get_track(track)
    return _layers(t.model, tuple(sorted(workload_kwargs(t, batch, scale, **extra).items())))
