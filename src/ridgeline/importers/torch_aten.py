"""aten op -> ridgeline operator: the handlers of the torch importer's dispatch mode.

Each handler takes (tracer, bound arguments, output) and records zero or more layers; the
table :data:`ATEN` maps an aten op's name to its handler, the new operators' handlers live in
:mod:`.torch_more`. Ops tagged pointwise or reduction need no entry.
"""

from __future__ import annotations

from math import prod

from ..ops import Embedding
from . import common, torch_more
from .torch_trace import tensors_in, unique_elements

#: aten ops that are layout or bookkeeping: no arithmetic (see ImportedLayers.skipped).
LAYOUT = {
    "clone", "copy", "copy_", "_to_copy", "contiguous", "cat", "stack", "empty", "empty_like",
    "empty_strided", "new_empty", "new_empty_strided", "zeros", "zeros_like", "new_zeros",
    "ones", "ones_like", "new_ones", "full", "full_like", "new_full", "fill", "fill_", "zero_",
    "arange", "scalar_tensor", "tril", "triu", "_local_scalar_dense", "index_select", "gather",
    "index", "repeat", "_unsafe_view", "constant_pad_nd", "resize_", "set_", "lift_fresh_copy",
    "native_dropout", "dropout", "bernoulli_", "rand", "randn", "randint", "randperm",
    "sym_size", "sym_numel", "sym_stride", "sym_storage_offset", "is_same_size", "_assert_async",
    "_assert_tensor_metadata", "roll", "as_strided_", "unsafe_split", "unsafe_split_with_sizes",
    "unsafe_chunk", "transpose_", "t_", "squeeze_", "unsqueeze_", "flip", "_unsafe_index",
    "pad", "reflection_pad1d", "reflection_pad2d", "replication_pad1d", "replication_pad2d",
    "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "one_hot", "eye", "linspace",
}
#: Activations the pointwise tag misses.
POINTWISE_EXTRA = {"hardswish", "hardswish_", "hardsigmoid", "hardsigmoid_", "mish", "softplus",
                   "elu", "elu_", "glu", "silu", "silu_", "gelu", "gelu_"}
BATCH_NORMS = {"native_batch_norm", "_native_batch_norm_legit", "cudnn_batch_norm",
               "_native_batch_norm_legit_no_training", "miopen_batch_norm", "batch_norm"}
SDPA_ATEN = {
    "_scaled_dot_product_flash_attention", "_scaled_dot_product_efficient_attention",
    "_scaled_dot_product_cudnn_attention", "_scaled_dot_product_flash_attention_for_cpu",
    "_scaled_dot_product_attention_math", "_scaled_dot_product_fused_attention_overrideable",
}
POOLS = {"max_pool2d_with_indices": "maxpool", "max_pool2d": "maxpool", "avg_pool2d": "avgpool"}
ADAPTIVE = {"_adaptive_avg_pool2d": "avgpool", "adaptive_avg_pool2d": "avgpool",
            "adaptive_max_pool2d": "max"}


def record(tracer, func, a: dict, out):
    """One aten call -> layers (or a skipped / unsupported count)."""
    import torch
    name = func.overloadpacket.__name__
    if func.is_view or name in LAYOUT:
        tracer.skipped[f"aten.{name}"] += 1
        if not func.is_view:
            tracer.carry(list(tensors_in([out])))
        return
    first = first_tensor(out)
    if first is not None and first.numel() == 0:  # an empty result: no work to count
        tracer.skipped[f"aten.{name} (empty)"] += 1
        return
    handler = ATEN.get(name) or torch_more.ATEN.get(name)
    if handler is not None:
        return handler(tracer, a, out)
    tags = func.tags
    if torch.Tag.pointwise in tags or name in POINTWISE_EXTRA:
        return pointwise(tracer, name.rstrip("_"), a, out)
    if torch.Tag.reduction in tags:
        return _reduction(tracer, name, a, out)
    tracer.unsupported[f"aten.{name}"] += 1


def first_tensor(out):
    import torch
    if isinstance(out, torch.Tensor):
        return out
    for x in out if isinstance(out, (tuple, list)) else ():
        if isinstance(x, torch.Tensor):
            return x
    return None


def weight_elems(tracer, *ts) -> int:
    return sum(unique_elements(t) for t in ts if t is not None and tracer.is_weight(t))


def _mm(tracer, x, w, bias=None):
    """mm / bmm / addmm / baddbmm: x . w (+ bias, read with the weights when a parameter)."""
    short, op, count = common.matmul(_eff_shape(x), _eff_shape(w), tracer.is_weight(x),
                                     tracer.is_weight(w))
    if bias is not None and tracer.is_weight(bias) and bias.numel() == op.n and count == 1:
        op = common.linear_with_bias(op)
    tracer.add(short, op, count)


def _eff_shape(t):
    """A batched operand broadcast over its batch dim (stride 0) is one matrix, shared."""
    if t.dim() == 3 and t.stride(0) == 0:
        return tuple(t.shape[1:])
    return tuple(t.shape)


def _conv(tracer, a, out):
    """aten.convolution: (N, C, H, W) -> Conv2d; a Conv1d's (N, C, L) is a 1 x L image;
    3-D and transposed convolutions -> ConvND (torch_more.conv_nd)."""
    x, w, bias = a["input"], a["weight"], a.get("bias")
    if a.get("transposed") or x.dim() not in (3, 4):
        return torch_more.conv_nd(tracer, a, out)
    (sh, sw), (ph, pw), (dh, dw) = (pair(a[k]) for k in ("stride", "padding", "dilation"))
    if x.dim() == 3:  # one spatial axis: it becomes the width, the height is 1 with no padding
        (h, wd), (kh, kw), (sh, ph, dh) = (1, x.shape[2]), (1, w.shape[2]), (1, 0, 1)
    else:
        (h, wd), (kh, kw) = x.shape[2:], w.shape[2:]
    op = common.conv(x.shape[0], x.shape[1], w.shape[0], (h, wd), (kh, kw), (sh, sw),
                     (ph, pw, ph, pw), (dh, dw), a["groups"], bias is not None)
    tracer.add("conv2d" if x.dim() == 4 else "conv1d", op)


def sdpa(tracer, query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
         scale=None, enable_gqa=False, **_):
    """F.scaled_dot_product_attention's arguments (and its aten variants'): (..., H, T, d)."""
    q, k, v = query.shape, key.shape, value.shape
    lead = q[:-3] if len(q) >= 3 else ()
    heads, kv_heads = (q[-3], k[-3]) if len(q) >= 3 else (1, 1)
    ops = common.attention(prod(lead) if lead else 1, heads, kv_heads, q[-2], k[-2], q[-1],
                           v[-1], is_causal and attn_mask is None)
    for short, op, count in ops:
        tracer.add(short, op, count)


def _sdpa_aten(tracer, a, out):
    sdpa(tracer, a["query"], a["key"], a["value"], a.get("attn_mask", a.get("attn_bias")),
         is_causal=a.get("is_causal", False))


def rms_norm(tracer, input, normalized_shape=None, weight=None, eps=None, **_):
    tracer.add("rmsnorm", common.normalization("rmsnorm", input.numel(),
                                               weight_elems(tracer, weight)))


def _norm(kind):
    def handler(tracer, a, out):
        x = a.get("input")
        tracer.add(kind, common.normalization(
            kind, x.numel(), weight_elems(tracer, a.get("weight"), a.get("bias"))))
    return handler


def _embedding(tracer, a, out):
    w, idx = a["weight"], a["indices"]
    tracer.add("embedding", Embedding(idx.numel(), w.shape[0], w.shape[1]))


def _pool(tracer, a, out, kind):
    x, o = a["self"], first_tensor(out)
    if x.dim() != 4:
        return _reduction(tracer, kind, a, out)
    k = pair(a["kernel_size"])
    s = pair(a.get("stride")) or k
    p = pair(a.get("padding")) or [0, 0]
    if any(d != 1 for d in pair(a.get("dilation")) or [1]):
        return _reduction(tracer, kind, a, out)
    tracer.add(kind, common.pool(kind, x.shape[0], x.shape[1], tuple(x.shape[2:]), k, s,
                                 (p[0], p[1], p[0], p[1]), tuple(o.shape[2:])))


def pair(v):
    """An int or a 1- or 2-list -> [h, w]; None or [] -> [] (the caller's default)."""
    if v is None:
        return []
    v = [v] if isinstance(v, int) else list(v)
    return v * 2 if len(v) == 1 else v


def _adaptive(tracer, a, out, kind):
    tracer.add(kind, common.reduction(kind, first_tensor(out).numel(), a["self"].numel()))


def pointwise(tracer, name, a, out):
    o = first_tensor(out)
    if o is None or o.numel() == 0:
        return
    ins = list(tensors_in(a.values()))
    if ins and all(tracer.is_state(t) for t in ins):  # e.g. BatchNorm's num_batches_tracked += 1
        tracer.skipped[f"aten.{name} (module state)"] += 1
        return
    weights = sum(unique_elements(t) for t in ins if tracer.is_weight(t))
    acts = sum(unique_elements(t) for t in ins if not tracer.is_weight(t))
    tracer.add(name, common.pointwise(name, o.numel(), acts, weights))


def _reduction(tracer, name, a, out):
    o, x = first_tensor(out), a.get("self", a.get("input"))
    if o is None or x is None or o.numel() == 0:
        return
    short = {"amax": "max", "amin": "min"}.get(name, name)
    tracer.add(short, common.reduction(short, o.numel(), x.numel()))


def _softmax(tracer, a, out):
    tracer.add("softmax", common.pointwise("softmax", first_tensor(out).numel(), 0, 0))


ATEN = {
    "mm": lambda t, a, o: _mm(t, a["self"], a["mat2"]),
    "bmm": lambda t, a, o: _mm(t, a["self"], a["mat2"]),
    "addmm": lambda t, a, o: _mm(t, a["mat1"], a["mat2"], a["self"]),
    "baddbmm": lambda t, a, o: _mm(t, a["batch1"], a["batch2"], a["self"]),
    "convolution": _conv, "_convolution": _conv,
    "native_layer_norm": _norm("layernorm"), "layer_norm": _norm("layernorm"),
    "native_group_norm": _norm("groupnorm"), "group_norm": _norm("groupnorm"),
    "_fused_rms_norm": _norm("rmsnorm"),
    "embedding": _embedding,
    # a running sum or product: one add (multiply) per element, like a pointwise op
    "cumsum": lambda t, a, o: pointwise(t, "add", a, o),
    "cumprod": lambda t, a, o: pointwise(t, "mul", a, o),
    "_prelu_kernel": lambda t, a, o: pointwise(t, "prelu", a, o),
    "_softmax": _softmax, "softmax": _softmax, "_safe_softmax": _softmax,
    "_log_softmax": _softmax, "log_softmax": _softmax,
    **{n: _norm("batchnorm") for n in BATCH_NORMS},
    **{n: _sdpa_aten for n in SDPA_ATEN},
    **{n: (lambda t, a, o, k=k: _pool(t, a, o, k)) for n, k in POOLS.items()},
    **{n: (lambda t, a, o, k=k: _adaptive(t, a, o, k)) for n, k in ADAPTIVE.items()},
}
#: Functions recorded whole at the torch-function level (their aten pieces are not counted).
FUSED = {"scaled_dot_product_attention": sdpa, "rms_norm": rms_norm, **torch_more.FUSED}
