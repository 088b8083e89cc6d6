"""Attention written by hand (or by nn.MultiheadAttention) as matmul -> softmax -> matmul,
recognised in the trace and reported as one attention layer.

The pattern, inside one module's scope, in this order (other ops may sit between):

    scores  = bmm(Q, K^T)   Gemm(T_q, T_k, d), no weight operand, counted B.H times
    P       = softmax(...)  B.H.T_q.T_k elements
    context = bmm(P, V)     Gemm(T_q, d_v, T_k), no weight operand, the same B.H

is unambiguous: a product of two activations whose output is softmax-normalised and then
multiplies a third. The three records become :func:`common.attention`'s (batch 1, B.H heads:
the trace sees them folded). Causal convention: a mask is a tensor the trace cannot read, so
recognised attention is counted full (T_q.T_k pairs, non-causal) - as SDPA with a mask tensor
is; a causal model's attention work is overstated by up to 2x (docs/formulas.md §5).
Element-wise ops in between (the 1/sqrt(d) scale, the mask's add) stay separate layers.
"""

from __future__ import annotations

from ..ops import Elementwise, Gemm
from . import common


def _bmm(op, count) -> bool:
    return isinstance(op, Gemm) and op.kind == "bmm" and not op.weight_operand


def _softmax_of(op, elements) -> bool:
    return isinstance(op, Elementwise) and op.op == "softmax" and op.elements == elements


def _match(records, i):
    """(softmax index, context index) if an attention starts at record ``i``, else None."""
    scope, short, s, bh = records[i]
    if short == "scores" or not _bmm(s, bh):  # "scores": SDPA's own unequal-length split
        return None
    found_softmax = None
    for j in range(i + 1, len(records)):
        sc, _, op, count = records[j]
        if sc != scope:
            return None
        if found_softmax is None and _softmax_of(op, bh * s.m * s.n):
            found_softmax = j
        elif found_softmax is not None and _bmm(op, count):
            ok = count == bh and op.m == s.m and op.k == s.n
            return (found_softmax, j) if ok else None
        elif isinstance(op, Gemm):
            return None
    return None


def fold_attention(records) -> tuple[list, int]:
    """Records with every recognised matmul attention folded into one; and how many."""
    out, skip, found = [], set(), 0
    for i, rec in enumerate(records):
        if i in skip:
            continue
        hit = _match(records, i)
        if hit is None:
            out.append(rec)
            continue
        scope, _, scores, bh = rec
        context = records[hit[1]][2]
        for short, op, count in common.attention(1, bh, bh, scores.m, scores.n, scores.k,
                                                 context.n, False):
            out.append((scope, short, op, count))
        skip.update(hit)
        found += 1
    return out, found


NOTE = ("{n} attention(s) written as matmul -> softmax -> matmul recognised and counted as "
        "attention (batch x heads folded into heads; full, non-causal work: the mask is not read)")
