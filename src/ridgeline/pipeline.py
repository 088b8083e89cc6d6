"""The one estimate pipeline: (layers, device, precision, memory model) -> a :class:`Profile`.

Every consumer goes through :func:`run` - ``ridgeline.profile``, sweeps and crossovers, the
importers, the lab's workbench and its Part 3 challenge - so the capacity check, the placement
of the weights and the totals exist once:

    capacity  = weights + KV cache + the largest layer's activations   (footprint, not traffic)
    weights_in = off-chip memory if weights fit beside what must be held there, else the
                 weight store (flash on MCUs)                            (:func:`auto_weights_in`)
    per layer = roofline.estimate(op, ...)  x count;   totals = sum of the layers

Names are resolved to objects at the edge (CLI, public API, lab); this module takes
:class:`~ridgeline.hardware.Hardware` and :class:`~ridgeline.dtypes.DType` objects only and
never imports the recipe registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

from .dtypes import DType
from .errors import RidgelineError
from .format import format_si
from .hardware import Hardware
from .ops import Attention
from .ops.base import DEFAULT_MEMORY_MODEL, Op, check_memory_model
from .placement import place
from .roofline import Estimate, auto_weights_in, estimate, total


@dataclass(frozen=True)
class Layer:
    """A named operator in a model; ``count`` identical copies (e.g. one per transformer block)."""

    name: str
    op: Op
    count: int = 1
    group: str = ""  # the block it belongs to, for display ("attention", "ffn", "stem", ...)


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

    def at(self, index, shape) -> Capacity:
        """The check at one point of a vectorized sweep (see :meth:`Estimate.at`)."""
        pick = lambda x: np.broadcast_to(x, shape)[index].item() if np.ndim(x) else x
        return replace(self, **{f.name: pick(getattr(self, f.name)) for f in fields(self)})

    def message(self) -> str:
        gb = lambda b: format_si(float(np.max(b)), "B")  # SI: '524 kB', '141 GB' (no 5.2e-04 GB)
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

    def to_dict(self) -> dict:
        return {"weights_bytes": self.weights_bytes, "kv_cache_bytes": self.kv_cache_bytes,
                "activation_bytes": self.activation_bytes, "memory_bytes": self.memory_bytes,
                "weights_in": self.weights_in, "fits": bool(np.all(self.fits)),
                "message": self.message()}


@dataclass(frozen=True)
class Profile:
    """Per-layer estimates, their totals and the capacity check of one model on one device.

    ``model`` names what was profiled (a recipe key or an import's title); ``workload`` is
    the recipe's workload (None for imported layers, whose shapes are fixed).
    """

    model: str
    hardware: str
    dtype: str
    memory_model: str
    workload: object
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
        workload = {} if w is None else {
            "batch": w.batch, "seq_len": w.seq_len, "phase": w.phase,
            "resolution": list(w.resolution), "frames": w.frames, "flash": w.flash}
        return {
            "model": self.model, "hardware": self.hardware, "dtype": self.dtype,
            "memory_model": self.memory_model, "workload": workload,
            "layers": [dict(e.to_dict(), group=self.layer_groups.get(e.name, "")) for e in self.layers],
            "totals": self.totals.to_dict(), "capacity": self.capacity.to_dict()}


def kv_cache_elements(layer: Layer):
    """K and V held for every cached token: 2 . B . H_kv . T . d per attention layer. A
    non-causal prefill (an encoder: BERT, ViT) keeps no cache: its K and V are activations."""
    op = layer.op
    if not isinstance(op, Attention) or (op.phase == "prefill" and not op.causal):
        return 0
    return 2 * op.batch * op.kv_heads * op.seq_len * op.head_dim * layer.count


def _footprint(layer: Layer) -> tuple:
    """(weight, KV-cache, largest-activation) elements of one layer (its ``count`` copies)."""
    t = layer.op.traffic("compulsory")
    return layer.op.params() * layer.count, kv_cache_elements(layer), t.inputs + t.outputs


def capacity_of(layers: list[Layer], hw: Hardware, dt: DType) -> Capacity:
    """The footprint of ``layers`` against ``hw``'s memories; weights placed by auto_weights_in."""
    s = dt.bytes
    weights, kv, acts = 0, 0, 0
    for l in layers:
        w, k, a = _cached(_footprint, (l,), l)
        weights, kv, acts = weights + w, kv + k, np.maximum(acts, a)
    weights, kv, acts = weights * s, kv * s, acts * s
    store = hw.weight_store
    place = auto_weights_in(hw, float(np.max(weights)), float(np.max(kv + acts)))
    return Capacity(weights, kv, acts, hw.memory.capacity.value, place,
                    store.capacity.value if store else None)


_CACHE: dict = {}
_CACHE_LIMIT = 200_000


def _cached(fn, args: tuple, *key):
    """``fn(*args)``, remembered under ``key`` when the key is hashable (scalar layers are;
    array-valued sweep layers are not and are computed each time)."""
    try:
        k = (fn.__name__, *key)
        hit = _CACHE.get(k)
    except TypeError:
        return fn(*args)
    if hit is None:
        if len(_CACHE) > _CACHE_LIMIT:
            _CACHE.clear()
        hit = _CACHE[k] = fn(*args)
    return hit


def _layer_estimate(layer: Layer, hw: Hardware, dt: DType, memory_model: str, weights_in: str,
                    placement=None):
    return estimate(layer.op, hw, dt, memory_model, name=layer.name, count=layer.count,
                    weights_in=weights_in, placement=placement)


def placements(layers: list[Layer], hw: Hardware, dt: DType, memory_model: str) -> list:
    """The placement pass's verdict per layer (``placed`` model), else None per layer."""
    if memory_model != "placed":
        return [None] * len(layers)
    return place(layers, hw.onchip.capacity.value / dt.bytes)


def run(layers, hw: Hardware, dt: DType, memory_model: str = DEFAULT_MEMORY_MODEL, *,
        title: str = "model", workload=None, weights_in: str | None = None) -> Profile:
    """Estimate every layer of ``layers`` on ``hw`` at ``dt``: capacity first (it decides
    where the weights live), then one roofline estimate per layer, then the totals.

    ``weights_in`` overrides the placement when ``layers`` is a part of a bigger model whose
    capacity was checked whole (a single layer of a sweep)."""
    if not isinstance(hw, Hardware) or not isinstance(dt, DType):
        raise TypeError("pipeline.run takes Hardware and DType objects; resolve names at the edge")
    layers = list(layers)
    if not layers:
        raise RidgelineError("no layers to profile")
    hw.peak(dt)  # fail early, with the list of supported formats
    check_memory_model(memory_model)
    cap = capacity_of(layers, hw, dt)
    where = weights_in or cap.weights_in
    ests = [_cached(_layer_estimate, (l, hw, dt, memory_model, where, p),
                    l, hw.key, id(hw), dt.name, memory_model, where, p)
            for l, p in zip(layers, placements(layers, hw, dt, memory_model))]
    return Profile(title, hw.key, dt.name, memory_model, workload, ests, total(ests), cap,
                   {l.name: l.group for l in layers})
