"""What a model recipe is: a config plus a builder returning named layers for a workload."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import RidgelineError, check_flag, check_op, check_size, shown
from ..ops.attention import PHASES
from ..pipeline import Layer

#: Parameters a sweep or crossover can scale (PRODUCT.md CLI contract).
SWEEP_PARAMS = ("batch", "seq-len", "resolution", "frames")


@dataclass(frozen=True)
class Workload:
    """The knobs every builder takes. Fields may be numpy arrays inside a vectorized sweep.

    ``seq_len`` is the prompt length in prefill and the context length (KV cache entries) in
    decode. ``resolution`` is (width, height) in pixels. ``frames`` is audio frames per
    inference (the tiny track's batching knob).
    """

    batch: int = 1
    seq_len: int = 2048
    phase: str = "decode"
    resolution: tuple = (3840, 2160)
    frames: int = 1
    flash: bool = False  # attention layers use FlashAttention's IO model

    def validated(self) -> Workload:
        """A copy with every field checked and converted to an exact value (numpy integers
        to ints, a square ``resolution=224`` to (224, 224)); RidgelineError otherwise."""
        if not isinstance(self.phase, str) or self.phase not in PHASES:
            raise RidgelineError(f"phase must be 'prefill' or 'decode', got {shown(self.phase)}")
        return replace(self, batch=check_size("batch", self.batch),
                       seq_len=check_size("seq_len", self.seq_len),
                       frames=check_size("frames", self.frames),
                       resolution=_resolution(self.resolution),
                       flash=check_flag("flash", self.flash))

    def with_param(self, param: str, value) -> Workload:
        """Set the swept parameter; resolution scales width and keeps the aspect ratio."""
        if param == "batch":
            return replace(self, batch=value)
        if param == "seq-len":
            return replace(self, seq_len=value)
        if param == "frames":
            return replace(self, frames=value)
        if param == "resolution":
            w, h = self.resolution
            return replace(self, resolution=(value, _round(value * h / w)))
        raise RidgelineError(f"unknown sweep parameter {shown(param)}; choose one of: {', '.join(SWEEP_PARAMS)}")

    def param_value(self, param: str):
        return {"batch": self.batch, "seq-len": self.seq_len, "frames": self.frames,
                "resolution": self.resolution[0]}[param]


WORKLOAD_FIELDS = ("batch", "seq_len", "phase", "resolution", "frames", "flash")


def _resolution(value) -> tuple:
    """(width, height) as exact ints from a pair (tuple, list or 1-d array of two numbers), or
    one number for a square image (``resolution=224`` is 224 x 224)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        value = (value, value)
    pair = isinstance(value, (tuple, list)) or (isinstance(value, np.ndarray) and value.ndim == 1)
    if not pair or len(value) != 2:
        raise RidgelineError(f"resolution must be (width, height) or one number, got {shown(value)}")
    return (check_size("resolution width", value[0]), check_size("resolution height", value[1]))


def check_layers(layers) -> list[Layer]:
    """Layers a caller hands to ``ridgeline.profile(layers=...)``: a list (or tuple) of
    :class:`Layer`, each named by a string, holding an operator object, with a whole-number
    count (stored back as an exact int: a count of 2.5 would scale every figure by 2.5)."""
    if not isinstance(layers, (list, tuple)):
        raise RidgelineError(f"layers must be a list of Layer, got {shown(layers)}")
    out = []
    for layer in layers:
        if not isinstance(layer, Layer) or not isinstance(layer.name, str):
            raise RidgelineError(f"layers must be Layer objects with a name, got {shown(layer)}")
        check_op(layer.op, f"the op of layer {layer.name!r}")
        out.append(replace(layer, count=check_size(f"layer {layer.name!r} count", layer.count)))
    return out


def _round(x):
    return np.maximum(1, np.round(x)) if isinstance(x, np.ndarray) else max(1, round(x))


@dataclass(frozen=True)
class Recipe:
    """A lighthouse model: ``build(workload)`` returns its named layers.

    ``params`` lists the sweep parameters that change the model's cost; ``default`` is the
    workload the lab and CLI use when the user gives none. ``citation`` names the published
    design the recipe follows.
    """

    key: str
    title: str
    citation: str
    builder: Callable[..., list]
    config: object
    params: tuple = ("batch",)
    default: Workload = field(default_factory=Workload)
    default_dtype: str = "bf16"
    default_hardware: str = "h100-sxm"
    notes: str = ""

    def build(self, workload: Workload | None = None) -> list[Layer]:
        return self.builder(self.config, workload or self.default)

    def workload(self, **overrides) -> Workload:
        """The default workload with the user's overrides (None means 'keep the default')."""
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown_keys = sorted(set(given) - set(WORKLOAD_FIELDS))
        if unknown_keys:
            raise RidgelineError(f"{self.key} does not take {', '.join(unknown_keys)}; "
                                 f"the workload takes: {', '.join(WORKLOAD_FIELDS)}")
        return replace(self.default, **given).validated()
