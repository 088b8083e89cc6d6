"""The Python API that mirrors the CLI: ``ridgeline.op``, ``profile``, ``sweep``, ``ridge``."""

from __future__ import annotations

from .errors import RidgelineError
from .ops import Attention, Conv2d, Gemm
from .roofline import Estimate, estimate


def make_op(kind: str, **dims):
    """Build an operator from CLI-style dimensions.

    gemm:      m, n, k                      -> Gemm   (2.M.N.K FLOPs)
    conv2d:    batch, in_channels, out_channels, height, width, kernel, stride=1, padding=0,
               groups=1, dilation=1          -> Conv2d
    attention: batch, heads, kv_heads, head_dim, seq_len, phase, flash=False, causal=True
    """
    if kind == "gemm":
        return Gemm(dims["m"], dims["n"], dims["k"])
    if kind == "conv2d":
        k = dims.pop("kernel")
        return Conv2d(dims["batch"], dims["in_channels"], dims["out_channels"], dims["height"],
                      dims["width"], k, k, dims.get("stride", 1), dims.get("padding", 0),
                      dims.get("dilation", 1), dims.get("groups", 1))
    if kind == "attention":
        return Attention(dims["batch"], dims["heads"], dims["kv_heads"], dims["head_dim"],
                         dims["seq_len"], dims.get("phase", "prefill"), dims.get("causal", True),
                         dims.get("flash", False))
    raise RidgelineError(f"unknown op {kind!r}; choose one of: attention, conv2d, gemm")


def op(kind: str, hardware: str = "h100-sxm", dtype: str = "bf16",
       memory_model: str = "compulsory", **dims) -> Estimate:
    """Roofline estimate of one operator: ``ridgeline.op('gemm', m=4096, n=4096, k=4096)``.

    Intensity = FLOPs / bytes; time = max(FLOPs/peak, bytes/bandwidth); see :func:`make_op`.
    """
    return estimate(make_op(kind, **dims), hardware, dtype, memory_model, name=kind)
