"""Scaled dot-product attention core (Q.K^T, softmax, P.V) with grouped-query heads.

Projections (Wq, Wk, Wv, Wo) are separate Linear layers; this operator is the part with no
weights. Shapes: Q (B, H, T_q, d), K and V (B, H_kv, T, d), output (B, H, T_q, d).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import RidgelineError, check_flags, check_tensors, set_dim, shown
from .base import OnChip, Traffic, check_memory_model

PHASES = ("prefill", "decode")

#: FlashAttention-3's query tile for head_dim <= 128 on Hopper: kBlockM = 128
#: (Dao-AILab/flash-attention hopper/tile_size.h, tile_size_fwd; S36e). Caps B_r.
FA3_BLOCK_M = 128


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

    FlashAttention (``flash=True``): no scratch, by memory model (docs/formulas.md §6):
      compulsory - Q, K, V read and O written once (the true arithmetic intensity);
      placed     - FlashAttention-2/3 prefill's off-chip traffic (Dao 2023, S36b; Shah et al.
                   2024, S36c): Q and O once, each KV head's K and V once per wave of resident
                   query tiles: inputs = q + kv . rho (:meth:`kv_passes`);
      tiled      - Dao et al. 2022 (S36) Alg. 1 / Thm 2 with M = one core's tile: the L2 -> SM
                   level (:meth:`tile_traffic`), Theta(T^2 d^2 / M).
    Decode (one query row) reads K, V once in every model, as standard does.
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
    #: FlashAttention has its own HBM model under "placed" (roofline._same_as_compulsory)
    placed_model = True

    def __post_init__(self):
        check_flags(self, "causal", "flash")
        for name in ("batch", "heads", "kv_heads", "head_dim", "seq_len"):
            set_dim(self, name)
        if not isinstance(self.phase, str) or self.phase not in PHASES:
            raise RidgelineError(f"phase must be 'prefill' or 'decode', got {shown(self.phase)}")
        if np.any(self.heads % self.kv_heads):  # sizes may be arrays (vectorized sweeps)
            raise RidgelineError(
                f"kv_heads={self.kv_heads} must divide heads={self.heads} (grouped-query attention)")
        check_tensors("attention", queries=self.batch * self.heads * self.seq_len * self.head_dim,
                      keys=self.batch * self.kv_heads * self.seq_len * self.head_dim)
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
        if memory_model == "tiled":
            return self.tile_traffic(onchip)
        rho = self.kv_passes(onchip) if memory_model == "placed" else 1
        return Traffic(inputs=q + kv * rho, outputs=o)

    def tile_traffic(self, onchip: OnChip | None) -> Traffic:
        """Dao et al. 2022 (S36) Alg. 1 traffic with M = ``onchip.tile``: the L2 -> SM level.

        Q read T_c times, K and V once, O read and written 2.T_c - 1 times per head
        (:meth:`outer_passes`). This is what one core's scratchpad exchanges with the level
        above it; FA2/3 serve Q/O from registers and K/V re-reads from L2, so it is not the
        off-chip traffic (see :meth:`kv_passes`). Standard attention and decode: as
        :meth:`traffic` in the compulsory model.
        """
        if not self.flash or self.phase == "decode":
            return self.traffic("compulsory")
        q = o = self.batch * self.heads * self.seq_len * self.head_dim
        kv = 2 * self.batch * self.kv_heads * self.seq_len * self.head_dim
        passes = self.outer_passes(onchip)
        return Traffic(inputs=q * passes + kv, outputs=o * (2 * passes - 1))

    def query_block(self, onchip: OnChip | None):
        """B_r, query rows per tile: min(FA3's 128, Dao's ceil(M / 4d)) (S36e, S36)."""
        if onchip is None:
            return FA3_BLOCK_M
        return min(FA3_BLOCK_M, max(1, -(-onchip.tile // (4 * self.head_dim))))

    def kv_passes(self, onchip: OnChip | None):
        """rho: times FA2/3 prefill streams each KV head's K and V from off-chip memory.

        One thread block per query tile of B_r rows (:meth:`query_block`), W = ``onchip.cores``
        tiles resident at once; the launch grid (m_block, batch, head) runs a GQA group's
        G = H/H_kv query heads back to back (FA3 packs them into one tile: pack_gqa), so the
        group's G.T query rows occupy G.T / (B_r . W) waves, and each wave fetches the group's
        K and V once; within a wave the other tiles hit in L2 (S36c, S36e):
            rho = max(1, G.T / (B_r . W))        causal: (rho + 1) / 2
        (a wave only reads K/V up to its last row). An upper bound: FA3's scheduler keeps a
        KV head in L2 across waves, which would make rho -> 1. NB: continuous, not
        ceil(ceil(T/B_r)/W), so a sweep over T sees no saw-tooth (as :meth:`outer_passes`).
        """
        if onchip is None:
            return 1
        group = self.heads // self.kv_heads
        waves = group * self.seq_len / (self.query_block(onchip) * max(1, onchip.cores))
        rho = np.maximum(1.0, waves)
        return (rho + 1) / 2 if self.causal else rho

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
