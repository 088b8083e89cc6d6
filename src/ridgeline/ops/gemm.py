"""GEMM / Linear: C[M x N] = A[M x K] . B[K x N]."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import check_flags, check_tensors, set_dim
from .base import OnChip, Traffic, check_memory_model, gemm_rereads


@dataclass(frozen=True)
class Gemm:
    """A matrix multiply; a Linear layer folds batch and tokens into M.

    MACs = M.N.K; FLOPs = 2.M.N.K.
    Compulsory traffic (elements) = M.K (A, the inputs) + K.N (B, the weights) + M.N (C).
    Intensity = 2.M.N.K / ((M.K + K.N + M.N) . bytes)            [D.2, S40]
    (docs/formulas.md §2; a Linear layer in decode, I -> 2B/s: §3)

    Tiled model (operands exceed on-chip capacity S elements): an output-stationary
    r x c tile (r.c = S, square t = sqrt(S) unless a side is skinny: ops.base.gemm_rereads)
    streams K; A is re-read N/c times and B M/r times, so traffic = M.K.max(1, N/c) +
    K.N.max(1, M/r) + M.N -> 2.M.N.K/sqrt(S) + M.N when both exceed the tile: the leading
    term of the tight I/O lower bound of Smith, Lowery, Langou & van de Geijn 2017 (S93;
    order: Hong & Kung 1981, Irony-Toledo-Tiskin 2004). Equal to compulsory when all three
    operands fit on chip together (M.K + K.N + M.N <= S), and never below it
    (docs/formulas.md §7).

    NB: ``weight_operand=False`` is for activation x activation products (attention's
    Q.K^T): B then counts as inputs, not weights. Bias adds N weights.
    """

    m: int
    n: int
    k: int
    weight_operand: bool = True
    bias: bool = False
    kind: str = "gemm"

    def __post_init__(self):
        check_flags(self, "weight_operand", "bias")
        for name in ("m", "n", "k"):
            set_dim(self, name)
        check_tensors("gemm", A=self.m * self.k, B=self.k * self.n, C=self.m * self.n)

    def macs(self):
        return self.m * self.n * self.k

    def flops(self):
        return 2 * self.macs()

    def params(self):
        if not self.weight_operand:
            return 0
        return self.k * self.n + (self.n if self.bias else 0)

    def traffic(self, memory_model: str = "compulsory", onchip: OnChip | None = None) -> Traffic:
        check_memory_model(memory_model)
        a, b, c = self.m * self.k, self.k * self.n, self.m * self.n
        if memory_model == "tiled" and onchip is not None:
            # NB: a skinny GEMM (N or M > t) that fits on chip whole is still read once.
            spills = (a + b + c) > onchip.capacity
            reads_a, reads_b = gemm_rereads(self.m, self.n, onchip.capacity)
            a = a * np.where(spills, reads_a, 1.0)
            b = b * np.where(spills, reads_b, 1.0)
        extra = self.n if self.bias else 0
        if self.weight_operand:
            return Traffic(weights=b + extra, inputs=a, outputs=c)
        return Traffic(inputs=a + b, outputs=c)


def linear(tokens: int, d_in: int, d_out: int, bias: bool = False) -> Gemm:
    """A Linear layer applied to ``tokens`` rows (batch x sequence): M = tokens, K = d_in, N = d_out."""
    return Gemm(m=tokens, n=d_out, k=d_in, bias=bias, kind="linear")
