"""Bandwidth operators: elementwise, normalization, softmax, pooling, embedding lookup.

They do a handful of FLOPs per element and no MACs, so their intensity is a few FLOPs per
element / bytes per element - far below every ridge in the registry: always memory-bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import MAX_ELEMENTS, RidgelineError, check_tensors, set_dim, shown
from .base import OnChip, Traffic, check_memory_model

#: FLOPs per output element, by operator. NB: conventions, not measurements - e.g. RMSNorm
#: squares, sums, scales (x * rsqrt * gamma) ~ 4; softmax max, subtract, exp, sum, divide ~ 5.
#: PReLU compares and scales ~ 2. Names not listed count 1 FLOP per output.
FLOPS_PER_ELEMENT = {
    "add": 1, "mul": 1, "relu": 1, "prelu": 2, "silu": 4, "swiglu": 5, "gelu": 8,
    "rmsnorm": 4, "layernorm": 7, "batchnorm": 2, "softmax": 5,
    "embedding": 0,
}
#: Reductions: each output sums its ``reads`` inputs, so FLOPs = reads per output (the final
#: divide of a mean is folded in), e.g. a global 7x7 average pool does 49 per channel.
REDUCTIONS = ("avgpool", "mean", "sum")


@dataclass(frozen=True)
class Elementwise:
    """``elements`` outputs, each reading ``reads`` input elements, plus ``weights`` elements.

    FLOPs = flops_per_element . elements (reductions: reads . elements; MACs = 0);
    traffic = reads.elements (inputs) + elements (outputs) + weights, so
    I = f / (s.(reads + 1)) without weights (docs/formulas.md §13).
    """

    op: str
    elements: int
    reads: int = 1
    weights: int = 0
    kind: str = "elementwise"

    def __post_init__(self):
        if not isinstance(self.op, str):
            raise RidgelineError(f"op must be an operator name (a string), got {shown(self.op)}")
        set_dim(self, "elements", maximum=MAX_ELEMENTS)
        set_dim(self, "reads")
        set_dim(self, "weights", minimum=0, maximum=MAX_ELEMENTS)
        check_tensors(self.op, input=self.reads * self.elements)

    def macs(self):
        return 0

    def flops(self):
        if self.op in REDUCTIONS:
            return self.reads * self.elements
        return FLOPS_PER_ELEMENT.get(self.op, 1) * self.elements

    def params(self):
        return self.weights

    def traffic(self, memory_model: str = "compulsory", onchip: OnChip | None = None) -> Traffic:
        check_memory_model(memory_model)
        return Traffic(weights=self.weights, inputs=self.reads * self.elements, outputs=self.elements)


def norm(kind: str, rows: int, width: int, affine_params: int | None = None) -> Elementwise:
    """RMSNorm / LayerNorm / BatchNorm over ``rows`` x ``width``; params = width (gamma) by default."""
    weights = width if affine_params is None else affine_params
    return Elementwise(kind, rows * width, reads=1, weights=weights, kind="norm")


@dataclass(frozen=True)
class Pool2d:
    """Max/average pooling: each output reads a K x K window; FLOPs = K^2 per output (compare or add).

    H_out = floor((H + 2P - K) / S) + 1 (PyTorch MaxPool2d, ceil_mode=False).
    Traffic counts the input once (windows overlap on chip) and the output once
    (docs/formulas.md §13).
    """

    batch: int
    channels: int
    height: int
    width: int
    kernel: int
    stride: int
    kind: str = "pool"
    padding: int = 0  # zero/-inf border on each side (ResNet's stem maxpool uses 1)

    def __post_init__(self):
        for name in ("batch", "channels", "height", "width", "kernel", "stride"):
            set_dim(self, name)
        set_dim(self, "padding", minimum=0)
        if np.any(np.minimum(self.height, self.width) + 2 * self.padding < self.kernel):
            raise RidgelineError(
                f"pooling window {self.kernel} is larger than the {self.height}x{self.width} "
                "input: the output would be empty")
        check_tensors("pool", input=self.batch * self.channels * self.height * self.width)

    @property
    def out_height(self):
        return (self.height + 2 * self.padding - self.kernel) // self.stride + 1

    @property
    def out_width(self):
        return (self.width + 2 * self.padding - self.kernel) // self.stride + 1

    def macs(self):
        return 0

    def flops(self):
        return self.kernel * self.kernel * self.batch * self.channels * self.out_height * self.out_width

    def params(self):
        return 0

    def traffic(self, memory_model: str = "compulsory", onchip: OnChip | None = None) -> Traffic:
        check_memory_model(memory_model)
        return Traffic(inputs=self.batch * self.channels * self.height * self.width,
                       outputs=self.batch * self.channels * self.out_height * self.out_width)


@dataclass(frozen=True)
class Embedding:
    """Token-embedding lookup: gathers ``tokens`` rows of a vocab x dim table.

    Traffic moved = tokens . dim (the rows gathered) written out once; the table's footprint
    (vocab . dim parameters) is held, not moved - 'traffic moved' and 'footprint held'
    differ. No FLOPs (docs/formulas.md §13).
    """

    tokens: int
    vocab: int
    dim: int
    kind: str = "embedding"

    def __post_init__(self):
        for name in ("tokens", "vocab", "dim"):
            set_dim(self, name, maximum=MAX_ELEMENTS)
        check_tensors("embedding", table=self.vocab * self.dim, rows=self.tokens * self.dim)

    def macs(self):
        return 0

    def flops(self):
        return 0

    def params(self):
        return self.vocab * self.dim

    def traffic(self, memory_model: str = "compulsory", onchip: OnChip | None = None) -> Traffic:
        check_memory_model(memory_model)
        rows = self.tokens * self.dim
        return Traffic(weights=rows, inputs=self.tokens, outputs=rows)
