"""PyTorch module -> ridgeline layers, by running it once and watching the aten ops.

The module runs under a TorchDispatchMode (every aten op with its real shapes, as
torch/utils/flop_counter.py counts FLOPs) and a TorchFunctionMode that catches the fused
functions the dispatcher would otherwise only show in pieces (scaled_dot_product_attention,
decomposed into bmm + softmax on the meta device; rms_norm). Forward hooks on every
submodule keep a stack of module paths, so each op is named by the module that ran it
(``layer1.0.conv1``). Parameters are recognized by their storage, which every view of them
(``weight.t()``, an expand, a slice of a fused QKV weight) shares.

torch is imported inside the functions only: importing ridgeline.importers costs nothing.
"""

from __future__ import annotations

from collections import Counter
from math import prod

from ..errors import RidgelineError
from ..ops import Embedding
from . import common

#: aten ops that are layout or bookkeeping: no arithmetic (see ImportedLayers.skipped).
LAYOUT = {
    "clone", "copy", "copy_", "_to_copy", "contiguous", "cat", "stack", "empty", "empty_like",
    "empty_strided", "new_empty", "new_empty_strided", "zeros", "zeros_like", "new_zeros",
    "ones", "ones_like", "new_ones", "full", "full_like", "new_full", "fill", "fill_", "zero_",
    "arange", "scalar_tensor", "tril", "triu", "_local_scalar_dense", "index_select", "gather",
    "index", "repeat", "_unsafe_view", "constant_pad_nd", "resize_", "set_", "lift_fresh_copy",
    "native_dropout", "dropout", "bernoulli_", "rand", "randn", "randint", "randperm",
    "sym_size", "sym_numel", "sym_stride", "sym_storage_offset", "is_same_size", "_assert_async",
    "_assert_tensor_metadata",
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


def from_torch(module, example_inputs, name: str | None = None) -> common.ImportedLayers:
    """Run ``module(*example_inputs)`` once and return its ops as named ridgeline Layers.

    ``example_inputs``: a tensor or a tuple of them (a dict is passed as keyword
    arguments). Put module and inputs on the meta device (``with torch.device("meta")``)
    to trace a large model with no memory and no arithmetic. Runs under
    ``torch.no_grad()``; what the module computes is what gets counted (call ``.eval()``
    first for inference). Ops ridgeline does not model are listed in ``.unsupported`` and
    issued as one warning.
    """
    import torch

    if not isinstance(module, torch.nn.Module):
        raise RidgelineError(f"from_torch needs a torch.nn.Module, got {type(module).__name__}")
    args, kwargs = _split_inputs(example_inputs)
    tracer = _Tracer(module)
    with _module_scopes(module, tracer.scopes), torch.no_grad(), tracer.modes():
        try:
            module(*args, **kwargs)
        except RidgelineError:
            raise
        except Exception as exc:  # the user's model or inputs: one line, the cause kept
            raise RidgelineError(f"running {type(module).__name__} failed: "
                                 f"{type(exc).__name__}: {' '.join(str(exc).split())}") from exc
    layers = common.ImportedLayers(
        common.name_layers(tracer.records), name=name or type(module).__name__, source="torch",
        unsupported=tracer.unsupported, skipped=tracer.skipped)
    if not layers:
        raise RidgelineError(f"{layers.name} ran no operator ridgeline can count")
    return layers.warn()


def _split_inputs(example_inputs):
    if isinstance(example_inputs, dict):
        return (), example_inputs
    if isinstance(example_inputs, (tuple, list)):
        return tuple(example_inputs), {}
    return (example_inputs,), {}


class _module_scopes:
    """Push a submodule's path (named_modules' key) while its forward runs."""

    def __init__(self, module, stack: list):
        self.module, self.stack, self.handles = module, stack, []

    def __enter__(self):
        for path, sub in self.module.named_modules():
            self.handles.append(sub.register_forward_pre_hook(self._enter(path)))
            self.handles.append(sub.register_forward_hook(self._leave, always_call=True))
        return self

    def _enter(self, path):
        def hook(module, inputs):  # NB: a hook's return value would replace the inputs
            self.stack.append(path)
        return hook

    def _leave(self, module, inputs, output):
        self.stack.pop()

    def __exit__(self, *exc):
        for h in self.handles:
            h.remove()


class _Tracer:
    """Collects (scope, short, op, count) records while the module runs."""

    def __init__(self, module):
        self.scopes: list[str] = []
        self.records: list = []
        self.unsupported: Counter = Counter()
        self.skipped: Counter = Counter()
        self.fused_depth = 0  # > 0 inside a function already recorded whole (SDPA, rms_norm)
        self.weight_storages = {p.untyped_storage()._cdata for p in module.parameters()}
        self.state_storages = self.weight_storages | {
            b.untyped_storage()._cdata for b in module.buffers()}

    @property
    def scope(self) -> str:
        return self.scopes[-1] if self.scopes else ""

    def is_weight(self, t) -> bool:
        return self._storage(t) in self.weight_storages

    def is_state(self, t) -> bool:
        """A parameter or a buffer (BatchNorm's running statistics, its batch counter)."""
        return self._storage(t) in self.state_storages

    @staticmethod
    def _storage(t):
        import torch
        if not isinstance(t, torch.Tensor):
            return None
        try:
            return t.untyped_storage()._cdata
        except (RuntimeError, NotImplementedError):  # a tensor with no storage (sparse, ...)
            return None

    def add(self, short, op, count=1):
        self.records.append((self.scope, short, op, count))

    def modes(self):
        """Both modes as one context manager (function mode outermost)."""
        from contextlib import ExitStack
        stack = ExitStack()
        stack.enter_context(_function_mode(self))
        stack.enter_context(_dispatch_mode(self))
        return stack


def _function_mode(tracer: _Tracer):
    from torch.overrides import TorchFunctionMode

    class FusedFunctions(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            handler = FUSED.get(getattr(func, "__name__", ""))
            if handler is None or tracer.fused_depth:
                return func(*args, **kwargs)
            handler(tracer, *args, **kwargs)
            tracer.fused_depth += 1
            try:
                return func(*args, **kwargs)
            finally:
                tracer.fused_depth -= 1

    return FusedFunctions()


def _dispatch_mode(tracer: _Tracer):
    from torch.utils._python_dispatch import TorchDispatchMode

    class AtenOps(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            if not tracer.fused_depth:
                _record(tracer, func, _bind(func, args, kwargs), out)
            return out

    return AtenOps()


def _bind(func, args, kwargs) -> dict:
    """aten arguments by their schema names (defaults filled in)."""
    bound = {}
    for i, arg in enumerate(func._schema.arguments):
        if i < len(args):
            bound[arg.name] = args[i]
        elif arg.name in kwargs:
            bound[arg.name] = kwargs[arg.name]
        elif arg.has_default_value():
            bound[arg.name] = arg.default_value
    return bound


# ---------------------------------------------------------------- aten -> ridgeline


def _record(tracer: _Tracer, func, a: dict, out):
    import torch
    name = func.overloadpacket.__name__
    if func.is_view or name in LAYOUT:
        tracer.skipped[f"aten.{name}"] += 1
        return
    first = _first_tensor(out)
    if first is not None and first.numel() == 0:  # an empty result: no work to count
        tracer.skipped[f"aten.{name} (empty)"] += 1
        return
    handler = ATEN.get(name)
    if handler is not None:
        return handler(tracer, a, out)
    tags = func.tags
    if torch.Tag.pointwise in tags or name in POINTWISE_EXTRA:
        return _pointwise(tracer, name.rstrip("_"), a, out)
    if torch.Tag.reduction in tags:
        return _reduction(tracer, name, a, out)
    tracer.unsupported[f"aten.{name}"] += 1


def _first_tensor(out):
    import torch
    if isinstance(out, torch.Tensor):
        return out
    for x in out if isinstance(out, (tuple, list)) else ():
        if isinstance(x, torch.Tensor):
            return x
    return None


def _tensors(a: dict):
    import torch
    for v in a.values():
        if isinstance(v, torch.Tensor):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from (x for x in v if isinstance(x, torch.Tensor))


def _unique(t) -> int:
    """Elements a tensor really holds: broadcast (stride-0) dims are one element wide."""
    return prod(s for s, st in zip(t.shape, t.stride()) if st != 0) if t.dim() else 1


def _weight_elems(tracer, *ts) -> int:
    return sum(_unique(t) for t in ts if t is not None and tracer.is_weight(t))


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
    """aten.convolution: (N, C, H, W) -> Conv2d; a Conv1d's (N, C, L) is a 1 x L image."""
    x, w, bias = a["input"], a["weight"], a.get("bias")
    if a.get("transposed") or x.dim() not in (3, 4):
        what = "transposed" if a.get("transposed") else f"{x.dim() - 2}-D"
        tracer.unsupported[f"aten.convolution ({what})"] += 1
        return
    (sh, sw), (ph, pw), (dh, dw) = (_pair(a[k]) for k in ("stride", "padding", "dilation"))
    if x.dim() == 3:  # one spatial axis: it becomes the width, the height is 1 with no padding
        (h, wd), (kh, kw), (sh, ph, dh) = (1, x.shape[2]), (1, w.shape[2]), (1, 0, 1)
    else:
        (h, wd), (kh, kw) = x.shape[2:], w.shape[2:]
    op = common.conv(x.shape[0], x.shape[1], w.shape[0], (h, wd), (kh, kw), (sh, sw),
                     (ph, pw, ph, pw), (dh, dw), a["groups"], bias is not None)
    tracer.add("conv2d" if x.dim() == 4 else "conv1d", op)


def _sdpa(tracer, query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
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
    _sdpa(tracer, a["query"], a["key"], a["value"], a.get("attn_mask", a.get("attn_bias")),
          is_causal=a.get("is_causal", False))


def _rms_norm(tracer, input, normalized_shape=None, weight=None, eps=None, **_):
    tracer.add("rmsnorm", common.normalization("rmsnorm", input.numel(),
                                               _weight_elems(tracer, weight)))


def _norm(kind):
    def handler(tracer, a, out):
        x = a.get("input")
        tracer.add(kind, common.normalization(
            kind, x.numel(), _weight_elems(tracer, a.get("weight"), a.get("bias"))))
    return handler


def _embedding(tracer, a, out):
    w, idx = a["weight"], a["indices"]
    tracer.add("embedding", Embedding(idx.numel(), w.shape[0], w.shape[1]))


def _pool(tracer, a, out, kind):
    x, o = a["self"], _first_tensor(out)
    if x.dim() != 4:
        return _reduction(tracer, kind, a, out)
    k = _pair(a["kernel_size"])
    s = _pair(a.get("stride")) or k
    p = _pair(a.get("padding")) or [0, 0]
    if any(d != 1 for d in _pair(a.get("dilation")) or [1]):
        return _reduction(tracer, kind, a, out)
    tracer.add(kind, common.pool(kind, x.shape[0], x.shape[1], tuple(x.shape[2:]), k, s,
                                 (p[0], p[1], p[0], p[1]), tuple(o.shape[2:])))


def _pair(v):
    """An int or a 1- or 2-list -> [h, w]; None or [] -> [] (the caller's default)."""
    if v is None:
        return []
    v = [v] if isinstance(v, int) else list(v)
    return v * 2 if len(v) == 1 else v


def _adaptive(tracer, a, out, kind):
    tracer.add(kind, common.reduction(kind, _first_tensor(out).numel(), a["self"].numel()))


def _pointwise(tracer, name, a, out):
    o = _first_tensor(out)
    if o is None or o.numel() == 0:
        return
    ins = list(_tensors(a))
    if ins and all(tracer.is_state(t) for t in ins):  # e.g. BatchNorm's num_batches_tracked += 1
        tracer.skipped[f"aten.{name} (module state)"] += 1
        return
    weights = sum(_unique(t) for t in ins if tracer.is_weight(t))
    acts = sum(_unique(t) for t in ins if not tracer.is_weight(t))
    tracer.add(name, common.pointwise(name, o.numel(), acts, weights))


def _reduction(tracer, name, a, out):
    o, x = _first_tensor(out), a.get("self", a.get("input"))
    if o is None or x is None or o.numel() == 0:
        return
    short = {"amax": "max", "amin": "min"}.get(name, name)
    tracer.add(short, common.reduction(short, o.numel(), x.numel()))


def _softmax(tracer, a, out):
    tracer.add("softmax", common.pointwise("softmax", _first_tensor(out).numel(), 0, 0))


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
    "cumsum": lambda t, a, o: _pointwise(t, "add", a, o),
    "cumprod": lambda t, a, o: _pointwise(t, "mul", a, o),
    "_softmax": _softmax, "softmax": _softmax, "_safe_softmax": _softmax,
    "_log_softmax": _softmax, "log_softmax": _softmax,
    **{n: _norm("batchnorm") for n in BATCH_NORMS},
    **{n: _sdpa_aten for n in SDPA_ATEN},
    **{n: (lambda t, a, o, k=k: _pool(t, a, o, k)) for n, k in POOLS.items()},
    **{n: (lambda t, a, o, k=k: _adaptive(t, a, o, k)) for n, k in ADAPTIVE.items()},
}
#: Functions recorded whole at the torch-function level (their aten pieces are not counted).
FUSED = {"scaled_dot_product_attention": _sdpa, "rms_norm": _rms_norm}

__all__ = ["from_torch"]
