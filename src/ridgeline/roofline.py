"""Roofline and energy for one operator on one device: the frozen, addable :class:`Estimate`.

time   = max(FLOPs / peak, sum over levels of bytes_level / bandwidth_level)     (S35)
ridge  = peak / bandwidth  (with weights in a slower store: peak x t_memory / bytes,
         the ridge against the bandwidth these bytes actually see)
energy = FLOPs . e_op(device, dtype) + sum bytes_level . e_byte(level) + P_static x time
         (e_op: energy.op_energy, Jouppi 2021 7 nm table / Horowitz 2014 45 nm; DATA.md D.6)
power at a rate = P_static + (E_compute + E_memory) x rate      (Estimate.power_w)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace

import numpy as np

from .dtypes import get_dtype
from .energy import op_energy
from .errors import RidgelineError
from .hardware import Hardware, get_hardware
from .ops.base import DEFAULT_MEMORY_MODEL, Traffic, check_memory_model
from .placement import placement_at

WEIGHT_PLACEMENTS = ("memory", "weight_store")


@dataclass(frozen=True)
class Estimate:
    """Cost of ``count`` executions of one operator (or a sum of several) on one device.

    Extensive fields (macs, flops, bytes, times, energies) add; intensity, ridge and bound
    are derived from the sums. Fields may be numpy arrays (vectorized sweeps).
    """

    name: str
    kind: str
    macs: float
    flops: float
    bytes: Traffic
    time_compute_s: float
    time_memory_s: float
    time_s: float
    energy_compute_j: float
    energy_memory_j: float
    energy_static_j: float
    hardware: str
    dtype: str
    peak: float
    memory_model: str = DEFAULT_MEMORY_MODEL
    weights_in: str = "memory"
    count: int = 1
    params: float = 0
    static_w: float = 0.0            # the device's static (idle/leakage) power, W
    onchip_bytes: float = 0.0        # bytes served by the on-chip level (placed model)
    offchip_bandwidth: float = 0.0   # the device's off-chip bandwidth (ridge of a fused layer)
    arithmetic_bytes: float | None = None  # compulsory bytes: every operand once (the seed's)
    placement: dict = field(default_factory=dict, compare=False)
    extra: dict = field(default_factory=dict, compare=False)
    #: (the placement pass's result, FlashAttention's on-chip tile bytes) under ``placed``:
    #: what :meth:`at` needs to say where the bytes live at one point of a sweep
    site: tuple = field(default=(), compare=False, repr=False)

    def at(self, index, shape) -> Estimate:
        """This estimate at one point of a vectorized sweep: ``shape`` is the grid (the
        broadcast of the workload's arrays), ``index`` the point. Every number is the one a
        scalar run at that point gives, and so is where the bytes live (``placement``)."""
        pick = lambda x: np.broadcast_to(x, shape)[index].item() if np.ndim(x) else x
        skip = ("bytes", "placement", "site", "extra")
        out = replace(self, **{f.name: pick(getattr(self, f.name)) for f in fields(self)
                               if f.name not in skip},
                      bytes=Traffic(**{f.name: pick(getattr(self.bytes, f.name))
                                       for f in fields(Traffic)}), site=())
        if not self.site:
            return out
        placed, tiles = self.site
        return replace(out, placement=_lives(
            None if placed is None else placement_at(placed, index, shape),
            self.memory_model, self.weights_in, bool(pick(tiles) > 0)))

    @property
    def intensity(self):
        """FLOPs per off-chip byte under the memory model in use (the seed's invariant under
        ``compulsory``); infinite for a layer the placement keeps wholly on chip."""
        return _div(self.flops, self.bytes.total)

    @property
    def arithmetic_intensity(self):
        """The seed's intensity: FLOPs / compulsory bytes (every operand once, per layer)."""
        return _div(self.flops, self._arith_bytes())

    @property
    def bytes_by_level(self) -> dict:
        """Bytes served by each memory level (hierarchical roofline, Yang et al. 2020)."""
        store = self.weights_in == "weight_store"
        return {"memory": self.bytes.activations + (0 if store else self.bytes.weights),
                "onchip": self.onchip_bytes, "weight_store": self.bytes.weights if store else 0}

    @property
    def intensity_by_level(self) -> dict:
        """FLOPs per byte at each level: off-chip levels count their own bytes; the on-chip
        level counts everything the compute reads through it (its own and off-chip bytes)."""
        lv = self.bytes_by_level
        through_chip = self.bytes.total + self.onchip_bytes
        return {"memory": _ratio(self.flops, lv["memory"]), "onchip": _ratio(self.flops, through_chip),
                "weight_store": _ratio(self.flops, lv["weight_store"])}

    @property
    def ridge(self):
        """peak x t_memory / bytes: the ridge against the bandwidth these bytes actually see
        (the off-chip ridge peak / BW for a layer that moves no off-chip bytes)."""
        b = self.bytes.total
        fallback = self.peak / self.offchip_bandwidth if self.offchip_bandwidth else np.inf
        return np.where(b > 0, self.peak * self.time_memory_s / np.where(b > 0, b, 1), fallback) \
            if np.ndim(b) else (self.peak * self.time_memory_s / b if b else fallback)

    @property
    def bound(self):
        mem = self.intensity < self.ridge
        if np.ndim(mem):
            return np.where(mem, "memory", "compute")
        return "memory" if mem else "compute"

    @property
    def attainable_flops(self):
        """Achieved FLOP/s under the roofline: min(peak, bandwidth x intensity) for one op."""
        return self.flops / self.time_s

    @property
    def energy_j(self):
        return self.energy_compute_j + self.energy_memory_j + self.energy_static_j

    def power_w(self, rate_hz: float):
        """Average power to run this work ``rate_hz`` times per second:
        P = P_static + (E_compute + E_memory) x rate.

        Static power is drawn all the time; dynamic energy once per run. The device is busy a
        fraction ``time_s x rate`` of each second and idle ``1 - time_s x rate`` (still paying
        P_static). RidgelineError when ``time_s x rate > 1``: the device cannot keep up.
        """
        busy = np.asarray(self.time_s * rate_hz)
        if np.any(busy > 1):
            raise RidgelineError(
                f"{self.hardware} cannot run this {rate_hz:.4g} times per second: one run takes "
                f"{float(np.max(self.time_s)) * 1e3:.4g} ms (busy {float(np.max(busy)):.3g} x the time available)")
        return self.power_demand_w(rate_hz)

    def power_demand_w(self, rate_hz: float):
        """P_static + (E_compute + E_memory) x rate without the keep-up check: the power the
        rate would demand (for showing how far a design that cannot keep up is from it)."""
        return self.static_w + (self.energy_compute_j + self.energy_memory_j) * rate_hz

    def __add__(self, other: Estimate) -> Estimate:
        if (self.hardware, self.dtype) != (other.hardware, other.dtype):
            raise RidgelineError("cannot add estimates for different hardware or dtypes")
        add = lambda a: getattr(self, a) + getattr(other, a)
        return replace(
            self, name="total", kind="total", count=1, macs=add("macs"), flops=add("flops"),
            bytes=self.bytes + other.bytes, time_compute_s=add("time_compute_s"),
            time_memory_s=add("time_memory_s"), time_s=add("time_s"),
            energy_compute_j=add("energy_compute_j"), energy_memory_j=add("energy_memory_j"),
            energy_static_j=add("energy_static_j"), params=add("params"),
            onchip_bytes=add("onchip_bytes"),
            arithmetic_bytes=self._arith_bytes() + other._arith_bytes(), placement={}, extra={},
            site=())

    def _arith_bytes(self):
        return self.bytes.total if self.arithmetic_bytes is None else self.arithmetic_bytes

    def to_dict(self) -> dict:
        """The JSON contract of PRODUCT.md (plus labelled extras)."""
        scalar = to_python
        return {
            "name": self.name, "kind": self.kind, "count": self.count,
            "macs": scalar(self.macs), "flops": scalar(self.flops),
            "bytes": {k: scalar(v) for k, v in self.bytes.as_dict().items()},
            "intensity": scalar(self.intensity),
            "arithmetic_intensity": scalar(self.arithmetic_intensity),
            "bytes_by_level": {k: scalar(v) for k, v in self.bytes_by_level.items()},
            "intensity_by_level": {k: scalar(v) for k, v in self.intensity_by_level.items()},
            "ridge": scalar(self.ridge),
            "bound": to_python(self.bound), "time_s": scalar(self.time_s),
            "time_compute_s": scalar(self.time_compute_s),
            "time_memory_s": scalar(self.time_memory_s),
            "attainable_flops": scalar(self.attainable_flops),
            "energy_j": scalar(self.energy_j),
            "energy_breakdown_j": {"compute": scalar(self.energy_compute_j),
                                   "memory": scalar(self.energy_memory_j),
                                   "static": scalar(self.energy_static_j)},
            "static_w": scalar(self.static_w),
            "params": scalar(self.params),
            "hardware": self.hardware, "dtype": self.dtype, "memory_model": self.memory_model,
            "weights_in": self.weights_in,
            **({"placement": self.placement} if self.placement else {}),
        }


def _div(num, den):
    """num / den; +inf where den is 0 and num > 0, 0 where both are 0 (numpy-friendly)."""
    if np.ndim(num) == 0 and np.ndim(den) == 0:
        return num / den if den else (np.inf if num else 0.0)
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    safe = np.where(den > 0, den, 1.0)
    return np.where(den > 0, num / safe, np.where(num > 0, np.inf, 0.0))


def _ratio(num, den):
    """num / den, None where nothing moves at that level (numpy-friendly)."""
    if np.ndim(den) == 0:
        return None if float(den) == 0 else num / den
    return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def to_python(x):
    """A JSON-ready value: numpy to Python; NaN and infinity (a layer with no off-chip bytes)
    to None."""
    if isinstance(x, np.ndarray):
        return [to_python(v) for v in x.tolist()]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def auto_weights_in(hw: Hardware, weight_bytes: float, held_bytes: float = 0.0) -> str:
    """Weights live in working memory if they fit beside ``held_bytes`` (activations, KV cache)
    that must be there anyway; otherwise in the slower weight store (flash).

    Devices with no weight store (GPUs) always read weights from their off-chip memory; a
    model too big for it is reported by the capacity check, not hidden here.
    """
    if hw.weight_store is None or weight_bytes + held_bytes <= hw.memory.capacity.value:
        return "memory"
    return "weight_store"


def split_traffic(elems: Traffic, placement) -> tuple[Traffic, Traffic]:
    """(off-chip, on-chip) parts of ``elems`` by the placement's on-chip shares (docs/formulas.md §14)."""
    if placement is None:
        return elems, Traffic()
    on = Traffic(inputs=elems.inputs * placement.inputs, outputs=elems.outputs * placement.outputs,
                 scratch=elems.scratch * placement.scratch)
    off = Traffic(weights=elems.weights, inputs=elems.inputs - on.inputs,
                  outputs=elems.outputs - on.outputs, kv_cache=elems.kv_cache,
                  scratch=elems.scratch - on.scratch)
    return off, on


def _tile_extra(op, elems: Traffic, memory_model: str, onchip) -> float:
    """Bytes an operator re-reads from the on-chip level beyond its off-chip traffic
    (FlashAttention's Alg. 1 tiles served by L2), in elements; 0 for other operators."""
    tile_traffic = getattr(op, "tile_traffic", None)
    if memory_model != "placed" or tile_traffic is None:
        return 0.0
    return np.maximum(0.0, tile_traffic(onchip).total - elems.total)


def _weight_level(hw: Hardware, op, dt, weights_in):
    if weights_in is None:
        held = op.traffic().activations * dt.bytes  # footprint: each activation once
        weights_in = auto_weights_in(hw, op.params() * dt.bytes, float(np.max(held)))
    if weights_in not in WEIGHT_PLACEMENTS:
        raise RidgelineError(f"weights_in must be one of {WEIGHT_PLACEMENTS}, got {weights_in!r}")
    if weights_in == "weight_store" and hw.weight_store is None:
        raise RidgelineError(f"{hw.key} has no separate weight store; weights live in {hw.memory.name}")
    return weights_in, (hw.weight_store if weights_in == "weight_store" else hw.memory)


def estimate(op, hardware="h100-sxm", dtype="bf16", memory_model=DEFAULT_MEMORY_MODEL, *,
             name: str | None = None, count: int = 1, weights_in: str | None = None,
             placement=None) -> Estimate:
    """Roofline time and energy of ``count`` runs of ``op`` on ``hardware`` at ``dtype``.

    ``placement`` (the ``placed`` model's pass, :mod:`ridgeline.placement`) moves shares of
    the activation traffic to the on-chip level. time = max(F / peak, off-chip bytes / BW,
    on-chip bytes / BW_onchip where published); energy charges each level its own e_byte.
    """
    hw, dt = get_hardware(hardware), get_dtype(dtype)
    check_memory_model(memory_model)
    peak = hw.peak(dt)
    onchip = hw.onchip_elements(dt)
    elems = op.traffic(memory_model, onchip)
    compulsory = elems if _same_as_compulsory(op, memory_model) else op.traffic("compulsory", onchip)
    off, on = split_traffic(elems, placement if memory_model == "placed" else None)
    scale = dt.bytes * count
    traffic = off.scaled(scale)
    tiles = _tile_extra(op, elems, memory_model, onchip)
    onchip_bytes = (on.total + tiles) * scale
    weights_in, w_level = _weight_level(hw, op, dt, weights_in)
    flops = op.flops() * count
    t_compute, t_memory = flops / peak, _memory_time(hw, traffic, onchip_bytes, w_level)
    t = np.maximum(t_compute, t_memory)
    e_memory = (traffic.activations * hw.memory.energy_per_byte.value
                + traffic.weights * w_level.energy_per_byte.value
                + onchip_bytes * hw.onchip.energy_per_byte.value)
    static_w = hw.static_w.value if hw.static_w is not None else 0.0
    e_static = static_w * t                       # static power for the time of the work
    return Estimate(
        name=name or op.kind, kind=op.kind, macs=op.macs() * count, flops=flops, bytes=traffic,
        time_compute_s=t_compute, time_memory_s=t_memory, time_s=t,
        energy_compute_j=flops * op_energy(hw, dt).value, energy_memory_j=e_memory,
        energy_static_j=e_static, hardware=hw.key, dtype=dt.name, peak=peak,
        memory_model=memory_model, weights_in=weights_in, count=count,
        params=op.params() * count, static_w=static_w, onchip_bytes=onchip_bytes,
        offchip_bandwidth=hw.bandwidth,
        arithmetic_bytes=compulsory.total * scale,
        placement=_lives(placement, memory_model, weights_in, bool(np.any(tiles > 0))),
        site=(placement, tiles) if memory_model == "placed" else ())


def _same_as_compulsory(op, memory_model: str) -> bool:
    """True when ``op.traffic(memory_model)`` is its compulsory traffic: always under
    ``compulsory``; under ``placed`` for every operator without a kernel model of its own
    (``placed_model = True``, e.g. FlashAttention's) - the pass moves traffic, not the op."""
    if memory_model == "compulsory":
        return True
    return memory_model == "placed" and not getattr(op, "placed_model", False)


def _memory_time(hw: Hardware, traffic: Traffic, onchip_bytes, w_level):
    """max(off-chip bytes / BW (+ weights / the weight store's BW), on-chip bytes / BW_onchip
    where the device publishes an on-chip bandwidth): the levels stream concurrently."""
    t_offchip = traffic.activations / hw.bandwidth + traffic.weights / w_level.bandwidth.value
    t_onchip = onchip_bytes / hw.onchip.bandwidth.value if hw.onchip.bandwidth else 0.0
    return np.maximum(t_offchip, t_onchip)


def _lives(placement, memory_model: str, weights_in: str, tiles_on_chip=False) -> dict:
    """Where each tensor lives, for display: 'memory', 'onchip', 'weight_store' or a split;
    ``reason`` says why (the placement pass's rule, FlashAttention's tiles, or the model)."""
    def where(share):
        share = float(np.max(share)) if np.ndim(share) else float(share)
        return "onchip" if share >= 1 else ("memory" if share <= 0 else f"{share:.0%} onchip")
    p = placement if memory_model == "placed" and placement is not None else None
    return {"weights": weights_in, "inputs": where(p.inputs) if p else "memory",
            "outputs": where(p.outputs) if p else "memory", "kv_cache": "memory",
            "scratch": where(p.scratch) if p else "memory",
            "reason": _reason(p, memory_model, tiles_on_chip)}


def _reason(p, memory_model: str, tiles_on_chip) -> str:
    reasons = [p.reason] if p is not None and p.reason != "off chip" else []
    if tiles_on_chip and memory_model == "placed":
        reasons.append("attention tiles re-read from the on-chip level")
    return ", ".join(reasons) or ("off chip" if memory_model == "placed" else memory_model)


_EXTENSIVE = ("macs", "flops", "time_compute_s", "time_memory_s", "time_s", "energy_compute_j",
              "energy_memory_j", "energy_static_j", "params", "onchip_bytes")


def total(estimates) -> Estimate:
    """Sum of estimates (a whole model): extensive quantities add, ratios are recomputed."""
    estimates = list(estimates)
    if not estimates:
        raise RidgelineError("nothing to add up")
    first, rest = estimates[0], estimates[1:]
    if any((e.hardware, e.dtype) != (first.hardware, first.dtype) for e in rest):
        raise RidgelineError("cannot add estimates for different hardware or dtypes")
    # the same left fold as ``+``, one field at a time (one replace, not one per estimate)
    fold = lambda a: sum((getattr(e, a) for e in rest), getattr(first, a))
    traffic = first.bytes
    for e in rest:
        traffic = traffic + e.bytes
    return replace(
        first, name="total", kind="total", count=1, bytes=traffic,
        arithmetic_bytes=sum((e._arith_bytes() for e in rest), first._arith_bytes()),
        placement={}, extra={}, site=(), **{a: fold(a) for a in _EXTENSIVE})
