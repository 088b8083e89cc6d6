"""What every operator shares: the named traffic breakdown and the memory models.

Conventions (PRODUCT.md): MACs count multiply-accumulates; FLOPs = 2 x MACs for every
matrix-like operator; bandwidth operators (norms, softmax, pooling, lookups) have
``macs == 0`` and report their per-element arithmetic as ``flops``. Traffic is counted in
*elements*; the estimator multiplies by bytes per element. Every formula is
numpy-friendly: dimensions may be arrays, which is how sweeps are vectorized.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Protocol

import numpy as np

from ..errors import unknown

#: Memory models a user can select (PRODUCT.md "Conventions"; docs/formulas.md §14):
#: compulsory - every operand of every layer crosses off-chip memory once (the seed's
#:              arithmetic intensity); placed - hierarchy-aware: tensors that fit stay on
#:              chip, epilogues and depthwise->pointwise fuse, FlashAttention as FA2/3 kernels
#:              run; tiled - capacity-limited re-reads of operands larger than on-chip memory.
MEMORY_MODELS = ("compulsory", "placed", "tiled")
#: What time and energy use unless asked otherwise; the arithmetic (compulsory) intensity is
#: reported beside it everywhere.
DEFAULT_MEMORY_MODEL = "placed"


def check_memory_model(name: str) -> str:
    if not isinstance(name, str) or name not in MEMORY_MODELS:
        raise unknown("memory model", name, MEMORY_MODELS)
    return name


@dataclass(frozen=True)
class Traffic:
    """Elements (or bytes) moved between off-chip memory and the chip, by kind.

    ``scratch`` is intermediate data written and read back (e.g. standard attention's T x T
    score matrix); it is neither an input nor an output of the operator.
    """

    weights: float = 0
    inputs: float = 0
    outputs: float = 0
    kv_cache: float = 0
    scratch: float = 0

    @property
    def total(self):
        return self.weights + self.inputs + self.outputs + self.kv_cache + self.scratch

    @property
    def activations(self):
        """Everything that is not a weight (placement: lives in working memory)."""
        return self.inputs + self.outputs + self.kv_cache + self.scratch

    def scaled(self, factor) -> Traffic:
        return Traffic(**{f.name: getattr(self, f.name) * factor for f in fields(self)})

    def __add__(self, other: Traffic) -> Traffic:
        return Traffic(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def as_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["total"] = self.total
        return d


@dataclass(frozen=True)
class OnChip:
    """What the tiled and FlashAttention IO models need to know about the chip, in elements.

    ``capacity`` is the last-level on-chip store between off-chip memory and the compute
    (GPU L2, MCU SRAM); ``tile`` is one core's scratchpad (GPU shared memory per SM),
    FlashAttention's M; ``cores`` how many such scratchpads work at once (GPU SMs).
    """

    capacity: float
    tile: float
    cores: float = 1  # compute units that each own a tile at once (GPU SMs); FA2/3's W


class Op(Protocol):
    kind: str

    def macs(self): ...
    def flops(self): ...
    def params(self): ...
    def traffic(self, memory_model: str = "compulsory", onchip: OnChip | None = None) -> Traffic: ...


def reuse_factor(extent, tile):
    """How many times an operand is re-read when the other operand's extent exceeds a tile.

    ``max(1, extent / tile)``: 1 when everything fits (tiled == compulsory), growing
    linearly beyond. Works on numpy arrays.
    """
    return np.maximum(1.0, extent / tile)


def gemm_rereads(m, n, capacity):
    """(re-reads of A [M x K], re-reads of B [K x N]) for an output-stationary r x c tile of
    C with r.c = S (docs/formulas.md §7; Smith et al. 2017, S93).

    The square tile r = c = sqrt(S) minimises M.K.N/c + K.N.M/r, but a skinny side is not a
    tile: c = min(N, sqrt(S)), then r = min(M, S / c), then c = min(N, S / r) widens the tile
    when M is the short side. A is read N/c times, B M/r times (at least once each).
    """
    t = np.sqrt(capacity)
    c = np.minimum(n, t)
    r = np.minimum(m, capacity / c)
    c = np.minimum(n, capacity / r)
    return reuse_factor(n, c), reuse_factor(m, r)
