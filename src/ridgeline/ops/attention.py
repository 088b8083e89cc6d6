"""Scaled dot-product attention core (Q.K^T, softmax, P.V) with grouped-query heads.

Projections (Wq, Wk, Wv, Wo) are separate Linear layers; this operator is the part with no
weights. Shapes: Q (B, H, T_q, d), K and V (B, H_kv, T, d), output (B, H, T_q, d).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import RidgelineError, check_flags, set_dim
from .base import OnChip, Traffic, check_memory_model

PHASES = ("prefill", "decode")


@dataclass(frozen=True)
class Attention:
    """Attention for ``phase`` 'prefill' (T queries over T keys) or 'decode' (1 query over T).

    MACs = 2 . B . H . d . pairs   (Q.K^T and P.V, one MAC per (query, key, channel) each)
      pairs = T(T+1)/2 in causal prefill - masking halves the score work; a kernel that
              computes the full T x T and masks afterwards does ~2x this - else T^2 in
              prefill and T in decode.             [D.4; docs/formulas.md §5]
    Softmax's ~5 FLOPs per score are not counted (< 1% at d = 128); FLOPs = 2 . MACs.

    Traffic (elements), standard attention: Q, K, V read, O written; the score matrix S and
    probabilities P (B.H.T_q.T) are each written then read back: scratch = 4.B.H.T_q.T.
    Decode reads the whole KV cache: kv_cache = 2.B.H_kv.T.d, so intensity ->
    2.(H/H_kv)/bytes whatever B and T (Shazeer 2019 S37; Ainslie et al. 2023 S38).

    FlashAttention (``flash=True``, Dao et al. 2022, S36, Alg. 1 / Thm 2): no scratch; with
    on-chip SRAM of M elements, column blocks B_c = ceil(M / 4d), T_c = T / B_c outer
    passes (at least 1); K, V move once, Q is read T_c times and O read+written ~2.T_c times
    per head: Theta(T^2 d^2 / M) accesses. Causal prefill skips blocks above the diagonal
    (T_c -> (T_c + 1)/2). Decode (one query row) reads K, V once, as standard does.
    """

    batch: int
    heads: int
    kv_heads: int
    head_dim: int
    seq_len: int
    phase: str = "prefill"
    causal: bool = True
    flash: bool = False
    kind: str = "attention"

    def __post_init__(self):
        check_flags(self, "causal", "flash")
        for name in ("batch", "heads", "kv_heads", "head_dim", "seq_len"):
            set_dim(self, name)
        if self.phase not in PHASES:
            raise RidgelineError(f"phase must be 'prefill' or 'decode', got {self.phase!r}")
        if self.heads % self.kv_heads:
            raise RidgelineError(
                f"kv_heads={self.kv_heads} must divide heads={self.heads} (grouped-query attention)")
        if self.flash:
            object.__setattr__(self, "kind", "flash_attention")

    @property
    def query_len(self):
        return self.seq_len if self.phase == "prefill" else 1

    @property
    def pairs(self):
        """(query, key) pairs that carry work, per (batch, head)."""
        t = self.seq_len
        if self.phase == "decode":
            return t
        return t * (t + 1) // 2 if self.causal else t * t

    def macs(self):
        return 2 * self.batch * self.heads * self.head_dim * self.pairs

    def flops(self):
        return 2 * self.macs()

    def params(self):
        return 0

    def traffic(self, memory_model: str = "compulsory", onchip: OnChip | None = None) -> Traffic:
        check_memory_model(memory_model)
        b, h, hkv, d, t, tq = self.batch, self.heads, self.kv_heads, self.head_dim, self.seq_len, self.query_len
        q = o = b * h * tq * d
        kv = 2 * b * hkv * t * d
        if self.phase == "decode":
            scratch = 0 if self.flash else 4 * b * h * t
            return Traffic(inputs=q, kv_cache=kv, outputs=o, scratch=scratch)
        if not self.flash:
            return Traffic(inputs=q + kv, outputs=o, scratch=4 * b * h * t * t)
        passes = self.outer_passes(onchip)
        return Traffic(inputs=q * passes + kv, outputs=o * (2 * passes - 1))

    def outer_passes(self, onchip: OnChip | None):
        """FlashAttention's effective T_c: max(1, T / B_c), 1 when K and V fit in one block.

        NB: T_c is kept continuous (not ceil(T / B_c)): a whole-block count makes traffic jump
        by half a pass at every block boundary, so intensity would saw-tooth across the ridge
        and a sweep would see spurious crossovers. Same order, Theta(T^2 d^2 / M).
        """
        if onchip is None:
            return 1
        block = max(1, -(-onchip.tile // (4 * self.head_dim)))  # B_c = ceil(M / 4d)
        t_c = np.maximum(1.0, self.seq_len / block)
        return (t_c + 1) / 2 if self.causal else t_c
