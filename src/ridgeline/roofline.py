"""Roofline and energy for one operator on one device: the frozen, addable :class:`Estimate`.

time   = max(FLOPs / peak, sum over levels of bytes_level / bandwidth_level)     (S35)
ridge  = peak / bandwidth  (with weights in a slower store: peak x t_memory / bytes,
         the ridge against the bandwidth these bytes actually see)
energy = FLOPs . e_op + sum bytes_level . e_byte(level) [+ static power x time]   (DATA.md D.6)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .dtypes import get_dtype
from .energy import energy_per_flop
from .errors import RidgelineError
from .hardware import Hardware, get_hardware
from .ops.base import Traffic, check_memory_model

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
    memory_model: str = "compulsory"
    weights_in: str = "memory"
    count: int = 1
    params: float = 0
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def intensity(self):
        """FLOPs per byte moved (the seed's invariant)."""
        return self.flops / self.bytes.total

    @property
    def ridge(self):
        return self.peak * self.time_memory_s / self.bytes.total

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
        """Average power to run this work ``rate_hz`` times per second: P = E x rate."""
        return self.energy_j * rate_hz

    def __add__(self, other: Estimate) -> Estimate:
        if (self.hardware, self.dtype) != (other.hardware, other.dtype):
            raise RidgelineError("cannot add estimates for different hardware or dtypes")
        add = lambda a: getattr(self, a) + getattr(other, a)
        return replace(
            self, name="total", kind="total", count=1, macs=add("macs"), flops=add("flops"),
            bytes=self.bytes + other.bytes, time_compute_s=add("time_compute_s"),
            time_memory_s=add("time_memory_s"), time_s=add("time_s"),
            energy_compute_j=add("energy_compute_j"), energy_memory_j=add("energy_memory_j"),
            energy_static_j=add("energy_static_j"), params=add("params"), extra={})

    def to_dict(self) -> dict:
        """The JSON contract of PRODUCT.md (plus labelled extras)."""
        scalar = _to_python
        return {
            "name": self.name, "kind": self.kind, "count": self.count,
            "macs": scalar(self.macs), "flops": scalar(self.flops),
            "bytes": {k: scalar(v) for k, v in self.bytes.as_dict().items()},
            "intensity": scalar(self.intensity), "ridge": scalar(self.ridge),
            "bound": _to_python(self.bound), "time_s": scalar(self.time_s),
            "time_compute_s": scalar(self.time_compute_s),
            "time_memory_s": scalar(self.time_memory_s),
            "attainable_flops": scalar(self.attainable_flops),
            "energy_j": scalar(self.energy_j),
            "energy_breakdown_j": {"compute": scalar(self.energy_compute_j),
                                   "memory": scalar(self.energy_memory_j),
                                   "static": scalar(self.energy_static_j)},
            "params": scalar(self.params),
            "hardware": self.hardware, "dtype": self.dtype, "memory_model": self.memory_model,
            "weights_in": self.weights_in,
        }


def _to_python(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
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


def estimate(op, hardware="h100-sxm", dtype="bf16", memory_model="compulsory", *,
             name: str | None = None, count: int = 1, weights_in: str | None = None) -> Estimate:
    """Roofline time and energy of ``count`` runs of ``op`` on ``hardware`` at ``dtype``."""
    hw, dt = get_hardware(hardware), get_dtype(dtype)
    check_memory_model(memory_model)
    peak = hw.peak(dt)
    elems = op.traffic(memory_model, hw.onchip_elements(dt))
    traffic = elems.scaled(dt.bytes * count)
    if weights_in is None:
        held = op.traffic().activations * dt.bytes  # footprint: each activation once
        weights_in = auto_weights_in(hw, op.params() * dt.bytes, float(np.max(held)))
    if weights_in not in WEIGHT_PLACEMENTS:
        raise RidgelineError(f"weights_in must be one of {WEIGHT_PLACEMENTS}, got {weights_in!r}")
    if weights_in == "weight_store" and hw.weight_store is None:
        raise RidgelineError(f"{hw.key} has no separate weight store; weights live in {hw.memory.name}")
    w_level = hw.weight_store if weights_in == "weight_store" else hw.memory
    flops = op.flops() * count
    t_compute = flops / peak
    t_memory = traffic.activations / hw.bandwidth + traffic.weights / w_level.bandwidth.value
    t = np.maximum(t_compute, t_memory)
    e_memory = (traffic.activations * hw.memory.energy_per_byte.value
                + traffic.weights * w_level.energy_per_byte.value)
    e_static = hw.static_w.value * t if hw.static_w is not None else 0.0
    return Estimate(
        name=name or op.kind, kind=op.kind, macs=op.macs() * count, flops=flops, bytes=traffic,
        time_compute_s=t_compute, time_memory_s=t_memory, time_s=t,
        energy_compute_j=flops * energy_per_flop(dt).value, energy_memory_j=e_memory,
        energy_static_j=e_static, hardware=hw.key, dtype=dt.name, peak=peak,
        memory_model=memory_model, weights_in=weights_in, count=count,
        params=op.params() * count)


def total(estimates) -> Estimate:
    """Sum of estimates (a whole model): extensive quantities add, ratios are recomputed."""
    estimates = list(estimates)
    if not estimates:
        raise RidgelineError("nothing to add up")
    out = estimates[0]
    for e in estimates[1:]:
        out = out + e
    return replace(out, name="total", kind="total", count=1)
