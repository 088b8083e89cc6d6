"""What a model recipe is: a config plus a builder returning named layers for a workload."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..errors import RidgelineError, check_dim
from ..ops.attention import PHASES
from ..ops.base import Op

#: Parameters a sweep or crossover can scale (PRODUCT.md CLI contract).
SWEEP_PARAMS = ("batch", "seq-len", "resolution", "frames")


@dataclass(frozen=True)
class Layer:
    """A named operator in a model; ``count`` identical copies (e.g. one per transformer block)."""

    name: str
    op: Op
    count: int = 1
    group: str = ""  # the block it belongs to, for display ("attention", "ffn", "stem", ...)


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
        check_dim("batch", self.batch)
        check_dim("seq_len", self.seq_len)
        check_dim("frames", self.frames)
        if self.phase not in PHASES:
            raise RidgelineError(f"phase must be 'prefill' or 'decode', got {self.phase!r}")
        if len(self.resolution) != 2:
            raise RidgelineError("resolution must be WIDTHxHEIGHT")
        check_dim("resolution width", self.resolution[0])
        check_dim("resolution height", self.resolution[1])
        return self

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
        raise RidgelineError(f"unknown sweep parameter {param!r}; choose one of: {', '.join(SWEEP_PARAMS)}")

    def param_value(self, param: str):
        return {"batch": self.batch, "seq-len": self.seq_len, "frames": self.frames,
                "resolution": self.resolution[0]}[param]


def _round(x):
    import numpy as np
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
        return replace(self.default, **{k: v for k, v in overrides.items() if v is not None}).validated()
