"""FFT and top-k / sort: counted by their textbook operation counts (docs/formulas.md §18)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import MAX_ELEMENTS, RidgelineError, check_flags, check_tensors, set_dim
from .base import OnChip, Traffic, check_memory_model


@dataclass(frozen=True)
class FFT:
    """``batch`` transforms of ``n`` points (n = the product of the transformed axes).

    FLOPs = 5.n.log2(n) per complex transform (the radix-2 Cooley-Tukey count FFTW's
    benchmarks use), half that when the input or output is real (rfft / irfft).
    MACs = 0. Traffic: a complex value is 2 elements; a real side of n points is n
    elements, its half-spectrum 2.(n/2 + 1) (docs/formulas.md §18).
    """

    batch: int
    n: int
    real: bool = False
    kind: str = "fft"

    def __post_init__(self):
        check_flags(self, "real")
        set_dim(self, "batch", maximum=MAX_ELEMENTS)
        set_dim(self, "n", maximum=MAX_ELEMENTS)
        check_tensors("fft", input=self.batch * self.n)

    def macs(self):
        return 0

    def flops(self):
        full = 5 * self.n * np.log2(self.n) * self.batch
        return full / 2 if self.real else full

    def params(self):
        return 0

    def traffic(self, memory_model: str = "compulsory", onchip: OnChip | None = None) -> Traffic:
        check_memory_model(memory_model)
        spectrum = 2 * (self.n // 2 + 1) if self.real else 2 * self.n
        signal = self.n if self.real else 2 * self.n
        return Traffic(inputs=self.batch * signal, outputs=self.batch * spectrum)


@dataclass(frozen=True)
class TopK:
    """The ``k`` largest of ``n`` values in each of ``rows`` rows (k = n: a full sort).

    Compares: n.log2(k) per row for top-k (a k-heap), n.log2(n) for a sort, counted as
    FLOPs (MACs = 0); at least n - 1 (k = 1 is a max). Traffic: the rows once in, k values
    and k indices out (docs/formulas.md §18).
    """

    rows: int
    n: int
    k: int
    kind: str = "topk"

    def __post_init__(self):
        set_dim(self, "rows", maximum=MAX_ELEMENTS)
        set_dim(self, "n", maximum=MAX_ELEMENTS)
        set_dim(self, "k", maximum=MAX_ELEMENTS)
        if np.any(self.k > self.n):
            raise RidgelineError(f"top-k needs k <= n, got k={self.k}, n={self.n}")
        check_tensors("topk", input=self.rows * self.n)

    def macs(self):
        return 0

    def flops(self):
        return self.rows * np.maximum(self.n - 1, self.n * np.log2(np.maximum(self.k, 1)))

    def params(self):
        return 0

    def traffic(self, memory_model: str = "compulsory", onchip: OnChip | None = None) -> Traffic:
        check_memory_model(memory_model)
        return Traffic(inputs=self.rows * self.n, outputs=2 * self.rows * self.k)
