"""The Python API that mirrors the CLI: ``ridgeline.op``, ``profile``, ``sweep``, ``ridge``."""

from __future__ import annotations

from .errors import RidgelineError
from .ops import Attention, Conv2d, Gemm
from .roofline import Estimate, estimate

#: Dimensions each operator takes: (required, optional with defaults).
OP_DIMS = {
    "gemm": (("m", "n", "k"), {}),
    "conv2d": (("batch", "in_channels", "out_channels", "height", "width", "kernel"),
               {"stride": 1, "padding": 0, "dilation": 1, "groups": 1}),
    "attention": (("batch", "heads", "kv_heads", "head_dim", "seq_len"),
                  {"phase": "prefill", "causal": True, "flash": False}),
}


def make_op(kind: str, **dims):
    """Build an operator from CLI-style dimensions (a ``None`` value means 'not given').

    gemm:      m, n, k                      -> Gemm   (2.M.N.K FLOPs)
    conv2d:    batch, in_channels, out_channels, height, width, kernel, stride=1, padding=0,
               groups=1, dilation=1          -> Conv2d
    attention: batch, heads, kv_heads, head_dim, seq_len, phase, flash=False, causal=True
    """
    if kind not in OP_DIMS:
        raise RidgelineError(f"unknown op {kind!r}; choose one of: {', '.join(sorted(OP_DIMS))}")
    d = _dims(kind, {k: v for k, v in dims.items() if v is not None})
    if kind == "gemm":
        return Gemm(d["m"], d["n"], d["k"])
    if kind == "conv2d":
        k = d["kernel"]
        return Conv2d(d["batch"], d["in_channels"], d["out_channels"], d["height"], d["width"],
                      k, k, d["stride"], d["padding"], d["dilation"], d["groups"])
    return Attention(d["batch"], d["heads"], d["kv_heads"], d["head_dim"], d["seq_len"],
                     d["phase"], d["causal"], d["flash"])


def _dims(kind: str, given: dict) -> dict:
    """Given dimensions plus defaults; one clear error for a missing or unknown one."""
    required, optional = OP_DIMS[kind]
    missing = [k for k in required if k not in given]
    if missing:
        raise RidgelineError(f"{kind} needs {', '.join(missing)}")
    unknown_keys = sorted(set(given) - set(required) - set(optional))
    if unknown_keys:
        raise RidgelineError(f"{kind} does not take {', '.join(unknown_keys)}; it takes: "
                             f"{', '.join((*required, *optional))}")
    return {**optional, **given}


def op(kind: str, hardware: str = "h100-sxm", dtype: str = "bf16",
       memory_model: str = "compulsory", **dims) -> Estimate:
    """Roofline estimate of one operator: ``ridgeline.op('gemm', m=4096, n=4096, k=4096)``.

    Intensity = FLOPs / bytes; time = max(FLOPs/peak, bytes/bandwidth); see :func:`make_op`.
    """
    return estimate(make_op(kind, **dims), hardware, dtype, memory_model, name=kind)
