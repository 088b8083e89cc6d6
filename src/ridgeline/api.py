"""The public Python surface of ridgeline: names in, objects and numbers out.

    ridgeline.op("gemm", m=4096, n=4096, k=4096)             # one operator
    ridgeline.estimate(Gemm(8, 8, 8), "h100-sxm", "bf16")     # an operator object
    ridgeline.profile("llama-3-70b", batch=8)                 # a recipe, layer by layer
    ridgeline.sweep / ridgeline.crossover                     # over batch, seq-len, ...

Names (model, hardware, dtype, operator kind) are resolved to objects here, once; the core
(:mod:`ridgeline.pipeline`, :mod:`ridgeline.roofline`) takes objects. Every bad input raises
:class:`~ridgeline.errors.RidgelineError` with one sentence.
"""

from __future__ import annotations

import inspect

from .dtypes import DTYPES, get_dtype
from .energy import op_energy
from .errors import RidgelineError, check_flag, check_op, check_size, shown
from .hardware import get_hardware
from .hardware import registry as hardware_registry
from .hardware import sources as hardware_sources
from .ops import Attention, Conv2d, Gemm
from .ops.base import DEFAULT_MEMORY_MODEL, check_memory_model
from .pipeline import Profile
from .profiling import profile
from .recipes import get_model, models
from .roofline import WEIGHT_PLACEMENTS, Estimate, total
from .roofline import estimate as _estimate
from .sweeping import Crossover, SweepResult, crossover, sweep

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
    if not isinstance(kind, str) or kind not in OP_DIMS:
        raise RidgelineError(f"unknown op {shown(kind)}; choose one of: {', '.join(sorted(OP_DIMS))}")
    d = _dims(kind, {k: v for k, v in dims.items() if v is not None})
    if kind == "gemm":
        return Gemm(d["m"], d["n"], d["k"])
    if kind == "conv2d":
        k = d["kernel"]
        return Conv2d(d["batch"], d["in_channels"], d["out_channels"], d["height"], d["width"],
                      k, k, d["stride"], d["padding"], d["dilation"], d["groups"])
    return Attention(d["batch"], d["heads"], d["kv_heads"], d["head_dim"], d["seq_len"],
                     d["phase"], check_flag("causal", d["causal"]), check_flag("flash", d["flash"]))


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
    # sizes become exact Python ints here (numpy integers, integral floats); the operator
    # checks phase and flags and how the sizes fit together
    return {k: v if k in ("phase", "causal", "flash")
            else check_size(k, v, minimum=0 if k == "padding" else 1)
            for k, v in {**optional, **given}.items()}


def _check_estimate_args(op, kw: dict) -> dict:
    """An operator object (macs, flops, params, traffic) and known keywords with sane values."""
    check_op(op, "estimate's op")
    sig = inspect.signature(_estimate).parameters
    known = [k for k, p in sig.items() if p.kind is p.KEYWORD_ONLY]
    extra = sorted(set(kw) - set(known))
    if extra:
        raise RidgelineError(f"estimate does not take {', '.join(extra)}; it takes: "
                             f"{', '.join(known)}")
    if "count" in kw:
        kw = {**kw, "count": check_size("count", kw["count"])}
    if kw.get("name") is not None and not isinstance(kw["name"], str):
        raise RidgelineError(f"name must be a string, got {shown(kw['name'])}")
    w = kw.get("weights_in")
    if w is not None and (not isinstance(w, str) or w not in WEIGHT_PLACEMENTS):
        raise RidgelineError(f"weights_in must be one of {', '.join(WEIGHT_PLACEMENTS)}, got {shown(w)}")
    return kw


def estimate(op, hardware="h100-sxm", dtype="bf16", memory_model=DEFAULT_MEMORY_MODEL, **kw) -> Estimate:
    """Roofline time and energy of an operator object on a named (or given) device and dtype.

    Keywords: ``name``, ``count`` (a whole number of runs), ``weights_in`` ('memory' or
    'weight_store'; default: where the weights fit)."""
    kw = _check_estimate_args(op, kw)
    return _estimate(op, get_hardware(hardware), get_dtype(dtype),
                     check_memory_model(memory_model), **kw)


def op(kind: str, hardware: str = "h100-sxm", dtype: str = "bf16",
       memory_model: str = DEFAULT_MEMORY_MODEL, **dims) -> Estimate:
    """Roofline estimate of one operator: ``ridgeline.op('gemm', m=4096, n=4096, k=4096)``.

    Intensity = FLOPs / bytes; time = max(FLOPs/peak, bytes/bandwidth); see :func:`make_op`.
    """
    hw, dt = get_hardware(hardware), get_dtype(dtype)
    check_memory_model(memory_model)
    return _estimate(make_op(kind, **dims), hw, dt, memory_model, name=kind)


__all__ = ["DTYPES", "Crossover", "Estimate", "Profile", "RidgelineError", "SweepResult",
           "crossover", "estimate", "get_dtype", "get_hardware", "get_model", "hardware_registry",
           "hardware_sources", "make_op", "models", "op", "op_energy", "profile", "sweep", "total"]
