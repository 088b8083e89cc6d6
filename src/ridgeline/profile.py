"""Profile a model layer by layer on a device: per-layer estimates, totals, a capacity check."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .dtypes import get_dtype
from .errors import RidgelineError
from .hardware import get_hardware
from .models import Layer, Recipe, Workload, get_model
from .ops import Attention
from .roofline import Estimate, auto_weights_in, estimate, total


@dataclass(frozen=True)
class Capacity:
    """Bytes the model holds (footprint, not traffic) against the device's memories.

    weights + KV cache + the largest single layer's activations (inputs + outputs) must fit
    the off-chip memory; on devices with a weight store (flash), weights may live there.
    """

    weights_bytes: float
    kv_cache_bytes: float
    activation_bytes: float
    memory_bytes: float
    weights_in: str
    weight_store_bytes: float | None = None

    @property
    def working_bytes(self):
        held = self.kv_cache_bytes + self.activation_bytes
        return held + (self.weights_bytes if self.weights_in == "memory" else 0)

    @property
    def fits(self):
        ok = self.working_bytes <= self.memory_bytes
        if self.weights_in == "weight_store":
            ok = ok & (self.weights_bytes <= self.weight_store_bytes)
        return ok

    def message(self) -> str:
        gb = lambda b: f"{float(np.max(b)) / 1e9:.3g} GB"
        in_store = self.weights_in == "weight_store"
        where = f"; weights {gb(self.weights_bytes)} stream from the weight store" if in_store else ""
        if np.all(self.fits):
            return f"fits: {gb(self.working_bytes)} of {gb(self.memory_bytes)}{where}"
        if in_store and np.any(self.weights_bytes > self.weight_store_bytes):
            return (f"does not fit: weights {gb(self.weights_bytes)} > {gb(self.weight_store_bytes)}"
                    " of weight store (flash)")
        weights = "" if in_store else f"weights {gb(self.weights_bytes)} + "
        return (f"does not fit: {weights}KV cache {gb(self.kv_cache_bytes)}"
                f" + activations {gb(self.activation_bytes)} > {gb(self.memory_bytes)} of device memory")


@dataclass(frozen=True)
class Profile:
    model: str
    hardware: str
    dtype: str
    memory_model: str
    workload: Workload
    layers: list[Estimate]
    totals: Estimate
    capacity: Capacity
    layer_groups: dict = field(default_factory=dict)

    def layer(self, name: str) -> Estimate:
        for e in self.layers:
            if e.name == name:
                return e
        raise RidgelineError(
            f"unknown layer {name!r} in {self.model}; choose one of: {', '.join(e.name for e in self.layers)}")

    def to_dict(self) -> dict:
        w = self.workload
        return {
            "model": self.model, "hardware": self.hardware, "dtype": self.dtype,
            "memory_model": self.memory_model,
            "workload": {"batch": w.batch, "seq_len": w.seq_len, "phase": w.phase,
                         "resolution": list(w.resolution), "frames": w.frames, "flash": w.flash},
            "layers": [dict(e.to_dict(), group=self.layer_groups.get(e.name, "")) for e in self.layers],
            "totals": self.totals.to_dict(),
            "capacity": {"weights_bytes": self.capacity.weights_bytes,
                         "kv_cache_bytes": self.capacity.kv_cache_bytes,
                         "activation_bytes": self.capacity.activation_bytes,
                         "memory_bytes": self.capacity.memory_bytes,
                         "weights_in": self.capacity.weights_in,
                         "fits": bool(np.all(self.capacity.fits)),
                         "message": self.capacity.message()},
        }


def kv_cache_elements(layer: Layer):
    """K and V held for every cached token: 2 . B . H_kv . T . d per attention layer."""
    op = layer.op
    if not isinstance(op, Attention):
        return 0
    return 2 * op.batch * op.kv_heads * op.seq_len * op.head_dim * layer.count


def capacity_of(layers: list[Layer], hw, dtype) -> Capacity:
    s = get_dtype(dtype).bytes
    weights = sum(l.op.params() * l.count for l in layers) * s
    kv = sum(kv_cache_elements(l) for l in layers) * s
    acts = 0
    for l in layers:
        t = l.op.traffic("compulsory")
        acts = np.maximum(acts, (t.inputs + t.outputs) * s)
    store = hw.weight_store
    place = auto_weights_in(hw, float(np.max(weights)), float(np.max(kv + acts)))
    return Capacity(weights, kv, acts, hw.memory.capacity.value, place,
                    store.capacity.value if store else None)


def estimate_layers(layers: list[Layer], hw, dtype, memory_model, weights_in) -> list[Estimate]:
    return [estimate(l.op, hw, dtype, memory_model, name=l.name, count=l.count, weights_in=weights_in)
            for l in layers]


def profile(model: str | Recipe, hardware=None, dtype=None, memory_model="compulsory", *,
            layers: list[Layer] | None = None, **workload) -> Profile:
    """Estimate every layer of ``model`` on ``hardware`` (defaults: the recipe's).

    ``workload`` overrides the recipe's default batch, seq_len, phase, resolution, frames,
    flash. ``layers`` replaces the built layers (the lab's design toolkit swaps operators).
    Totals add the layers (x their counts); ``capacity`` checks the footprint.
    """
    recipe = get_model(model)
    hw = get_hardware(hardware or recipe.default_hardware)
    dt = get_dtype(dtype or recipe.default_dtype)
    hw.peak(dt)  # fail early, with the list of supported formats
    w = recipe.workload(**workload)
    built = layers if layers is not None else recipe.build(w)
    cap = capacity_of(built, hw, dt)
    ests = estimate_layers(built, hw, dt, memory_model, cap.weights_in)
    return Profile(recipe.key, hw.key, dt.name, memory_model, w, ests, total(ests), cap,
                   {l.name: l.group for l in built})
