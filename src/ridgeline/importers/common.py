"""What both importers share: the imported-layer list, layer naming and the op builders.

numpy and the core only (torch and onnx are imported by their importers, inside functions).
Every builder takes plain ints, so the torch and ONNX importers map the same shape to the
same ridgeline op and their results can be compared.
"""

from __future__ import annotations

import warnings
from collections import Counter
from math import prod

from ..ops import Attention, Conv2d, Elementwise, Gemm, Pool2d
from ..ops.conv import conv_out
from ..recipes import Layer


class ImportedLayers(list):
    """The layers of an imported model, in execution order, plus what was not counted.

    ``unsupported``: op name -> calls that do work ridgeline does not model (left out of every
    total, and said so in ``warnings``). ``skipped``: op name -> calls that are layout or
    bookkeeping (views, copies, casts, shape arithmetic, constant factories): no arithmetic,
    and a compiler fuses their copies away, so - like the built-in recipes - they are not
    counted. ``notes``: approximations made while mapping (e.g. symbolic ONNX sizes set to 1).
    """

    def __init__(self, layers=(), *, name: str = "imported", source: str = "",
                 unsupported: Counter | None = None, skipped: Counter | None = None,
                 notes: list[str] | None = None):
        super().__init__(layers)
        self.name = name
        self.source = source
        self.unsupported = dict(unsupported or {})
        self.skipped = dict(skipped or {})
        self.notes = list(notes or [])

    @property
    def unsupported_summary(self) -> str:
        """All unsupported ops on one line, e.g. ``not modelled (counted as zero cost): LSTM x2,
        TopK``; empty when there are none."""
        if not self.unsupported:
            return ""
        return f"not modelled (counted as zero cost): {listing(self.unsupported)}"

    @property
    def unsupported_lines(self) -> list[str]:
        """The unsupported ops as a list of at most one line (:attr:`unsupported_summary`)."""
        return [self.unsupported_summary] if self.unsupported else []

    @property
    def warnings(self) -> list[str]:
        """Everything a reader of the totals should know: unsupported ops, then notes."""
        return self.unsupported_lines + self.notes

    def warn(self) -> ImportedLayers:
        """Issue at most one warning, on one line, if anything was left out (the list itself
        stays usable; ``.unsupported`` holds the counts)."""
        if self.unsupported:
            warnings.warn(f"{self.name}: {self.unsupported_summary}", UnsupportedOpsWarning,
                          stacklevel=3)
        return self


class UnsupportedOpsWarning(UserWarning):
    """An import left ops out of its totals (one warning per import, its message one line)."""


def listing(counts) -> str:
    """{'LSTM': 2, 'TopK': 1} -> 'LSTM x2, TopK' (sorted by name; a count only when > 1)."""
    return ", ".join(op if n == 1 else f"{op} x{n}" for op, n in sorted(counts.items()))


# ---------------------------------------------------------------- names


def name_layers(records) -> list[Layer]:
    """(scope, short, op, count) records -> Layers with unique, module-path names.

    A module that ran one op gives it its own path (``layer1.0.conv1``); a module that ran
    several names each ``path.short`` (``blocks.0.attn.attention``), repeats as ``#2``, ``#3``.
    Ops outside every submodule are named by ``short`` alone.
    """
    per_scope = Counter(scope for scope, *_ in records)
    seen: Counter = Counter()
    layers = []
    for scope, short, op, count in records:
        alone = scope and per_scope[scope] == 1
        base = scope if alone else ".".join(p for p in (scope, short) if p)
        seen[base] += 1
        name = base if seen[base] == 1 else f"{base}#{seen[base]}"
        # the enclosing module: a layer named by its own path belongs to its parent's
        group = (scope.rsplit(".", 1)[0] if "." in scope else "") if base == scope else scope
        layers.append(Layer(name, op, count=count, group=group))
    return layers


# ---------------------------------------------------------------- matrix products


def matmul(a_shape, b_shape, a_weight: bool, b_weight: bool):
    """C = A . B with numpy-style batch dims -> (short, Gemm, count).

    A (..., m, k), B (..., k, n). Ridgeline's Gemm counts B as the weight, so a product with
    the weight on the left is transposed first (C^T = B^T . A^T: same MACs, same bytes).
    NB (batched products): when B has no batch dims of its own (a Linear on a 3-D input,
    or a weight broadcast over the batch) the batch folds into M - B is read once, so
    Gemm(prod(batch).m, n, k). When B differs per batch entry (attention's Q.K^T, P.V) each
    entry is an independent product: one Gemm(m, n, k) counted prod(batch) times, its
    B counted as an input (weight_operand=False) unless it is a parameter.
    """
    a_shape, b_shape = _as_matrix(a_shape, 0), _as_matrix(b_shape, 1)
    if a_weight and not b_weight and len(a_shape) == 2:
        m, k, n = a_shape[0], a_shape[1], b_shape[-1]
        return "linear", Gemm(m=n * prod(b_shape[:-2]), n=m, k=k, kind="linear"), 1
    *ba, m, k = a_shape
    *bb, _, n = b_shape
    if not bb:
        kind = "linear" if b_weight else "matmul"
        return kind, Gemm(m=prod(ba) * m, n=n, k=k, weight_operand=b_weight, kind=kind), 1
    batch = prod(_broadcast(ba, bb))
    return "bmm", Gemm(m=m, n=n, k=k, weight_operand=b_weight, kind="bmm"), batch


def _as_matrix(shape, which):
    """numpy matmul's 1-D rule: a vector A is (1, k), a vector B is (k, 1)."""
    shape = tuple(shape)
    if len(shape) == 1:
        return (1, shape[0]) if which == 0 else (shape[0], 1)
    return shape


def _broadcast(a, b):
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    return tuple(max(x, y) for x, y in zip(a, b))


def linear_with_bias(gemm: Gemm) -> Gemm:
    """The same product with its bias (N more weight elements) read alongside."""
    return Gemm(gemm.m, gemm.n, gemm.k, weight_operand=gemm.weight_operand, bias=True,
                kind=gemm.kind)


# ---------------------------------------------------------------- convolution


def conv(batch, in_channels, out_channels, in_hw, kernel_hw, stride_hw, pads, dilation_hw,
         groups, bias) -> Conv2d:
    """A 2-D convolution (pads = top, left, bottom, right) -> Conv2d.

    Ridgeline's Conv2d takes one stride, padding and dilation for both axes. When the
    layer's are uniform the op is exact. Otherwise (asymmetric 'same' padding, stride
    (2, 1), a Conv1d seen as 1 x L) the padding is folded into the input size and the
    height chosen so that H_out and W_out come out right with the width's stride and
    dilation: MACs, weights and outputs stay exact; NB the input traffic then counts the
    padded border too (an overestimate of 2P/H per side, small for real layers).
    """
    (h, w), (kh, kw), (sh, sw), (dh, dw) = in_hw, kernel_hw, stride_hw, dilation_hw
    top, left, bottom, right = pads
    if sh == sw and dh == dw and top == left == bottom == right:
        return Conv2d(batch, in_channels, out_channels, h, w, kh, kw, sh, top, dh, groups, bias)
    out_h = conv_out(h + top + bottom, kh, sh, 0, dh)
    width = w + left + right
    height = (out_h - 1) * sw + dw * (kh - 1) + 1  # gives out_h with stride sw, dilation dw
    return Conv2d(batch, in_channels, out_channels, height, width, kh, kw, sw, 0, dw, groups, bias)


def same_pads(size, kernel, stride, dilation, upper=True):
    """ONNX/TF 'SAME' padding: out = ceil(in / S); the total pad is split, extra at the end."""
    out = -(-size // stride)
    total = max(0, (out - 1) * stride + dilation * (kernel - 1) + 1 - size)
    small = total // 2
    return (small, total - small) if upper else (total - small, small)


# ---------------------------------------------------------------- attention


def attention(batch, heads, kv_heads, q_len, kv_len, head_dim, value_dim, causal):
    """Scaled dot-product attention -> [(short, op, count)].

    T_q = T_k: prefill, Attention(causal) - ridgeline counts T(T+1)/2 (query, key) pairs when
    causal (DATA.md D.4), T^2 otherwise (a mask tensor is not inspected: full work).
    T_q = 1: decode, one query over T_k cached keys. Anything else (chunked prefill,
    cross-attention of unequal lengths, V's width != Q's) is written out as its two
    products and the softmax: Q.K^T and P.V per (batch, head), full T_q x T_k work.
    """
    if value_dim == head_dim and heads % kv_heads == 0:
        if q_len == kv_len:
            return [("attention", Attention(batch, heads, kv_heads, head_dim, kv_len,
                                            "prefill", causal=bool(causal)), 1)]
        if q_len == 1:
            return [("attention", Attention(batch, heads, kv_heads, head_dim, kv_len,
                                            "decode", causal=False), 1)]
    bh = batch * heads
    return [("scores", Gemm(q_len, kv_len, head_dim, weight_operand=False, kind="bmm"), bh),
            ("softmax", Elementwise("softmax", bh * q_len * kv_len), 1),
            ("context", Gemm(q_len, value_dim, kv_len, weight_operand=False, kind="bmm"), bh)]


# ---------------------------------------------------------------- bandwidth ops


def pointwise(name: str, out_elements: int, input_elements: int, weight_elements: int):
    """An elementwise op: ``out`` outputs, reading ~input/out activations each, plus weights.

    NB: Elementwise counts reads per output as a whole number, so a broadcast operand
    (a bias row, a mask) is rounded into it: reads = max(1, round(inputs / outputs)).
    """
    reads = max(1, round(input_elements / out_elements))
    return Elementwise(name, int(out_elements), reads=reads, weights=int(weight_elements))


def reduction(name: str, out_elements: int, in_elements: int):
    """mean/sum/max over axes: each output reads in/out inputs, one add (or compare) per read.

    NB: Elementwise knows 'mean' and 'sum' as reductions; a max or min reduction does one
    compare per read, the same count, so it is entered as 'sum'.
    """
    op = "mean" if name in ("mean", "avgpool") else "sum"
    reads = max(1, round(in_elements / out_elements))
    return Elementwise(op, int(out_elements), reads=reads)


def normalization(kind: str, elements: int, weight_elements: int):
    """layernorm / rmsnorm / batchnorm / groupnorm over ``elements``, with its affine weights."""
    name = "layernorm" if kind == "groupnorm" else kind  # same arithmetic per element
    return Elementwise(name, int(elements), reads=1, weights=int(weight_elements), kind="norm")


def pool(kind: str, batch, channels, in_hw, kernel_hw, stride_hw, pads, out_hw):
    """Max / average pooling -> Pool2d when square and uniform, else a reduction.

    Pool2d takes one kernel, stride and padding; a layer that needs more (a 3 x 1 window,
    ceil_mode) is counted as a reduction with the same outputs and reads ~ in/out each.
    """
    (kh, kw), (sh, sw) = kernel_hw, stride_hw
    if kh == kw and sh == sw and len(set(pads)) == 1:
        p = Pool2d(batch, channels, in_hw[0], in_hw[1], kh, sh, kind=kind, padding=pads[0])
        if (p.out_height, p.out_width) == tuple(out_hw):
            return p
    outs = batch * channels * out_hw[0] * out_hw[1]
    return reduction("avgpool" if kind == "avgpool" else "max", outs,
                     batch * channels * in_hw[0] * in_hw[1])
