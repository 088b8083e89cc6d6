"""Where each tensor lives: the hierarchy-aware placement pass of the ``placed`` memory model.

docs/formulas.md §14. The seed's *compulsory* model charges every operand of every layer to
off-chip memory once. Real compilers do better, and the lab's lessons depend on it (Alwani et
al., "Fused-Layer CNN Accelerators", MICRO 2016: fusing layers cut feature-map traffic
77 MB -> 3.6 MB; Qualcomm's micro-tile inferencing; Arm Vela's Shared_Sram mode). The pass walks
the layers in order and decides, for the tensor handed from layer i-1 to layer i, whether it
stays on chip:

1. **Epilogue fusion** - a cheap elementwise op right after a producer (BatchNorm folded into
   the conv before it, ReLU/PReLU/SiLU/GELU, SwiGLU's gate, a residual add) reads the
   producer's output where it was made, on chip; for a binary op (add, mul, SwiGLU) that is
   one of its ``reads`` operands, the other (the skip) comes from memory.
2. **Depthwise -> pointwise fusion** - a depthwise conv's output (after its epilogues) feeds
   the next pointwise conv through a line buffer (a few rows of the image), whatever its size.
3. **Fits on chip** - otherwise the tensor stays on chip when the working sets of both layers
   (inputs + outputs of one copy) fit the device's on-chip capacity (GPU L2, NPU SRAM).

The model's first input and last output, weights and the KV cache always live off chip, and
so do an attention kernel's Q, K, V and O (three producers feed it; FlashAttention writes O
to HBM), so the kernel's own HBM model (docs/formulas.md §6) decides its traffic.
Standard attention's score matrix (scratch) stays on chip when it fits. The pass only moves
traffic between levels; FLOPs never change. It is an estimate of what a good compiler does:
a tensor read again much later (a skip connection) is charged to memory as it is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .ops import Attention, Conv2d, Elementwise

#: Elementwise ops a compiler fuses into the epilogue of the layer before them.
EPILOGUE_OPS = ("batchnorm", "relu", "prelu", "silu", "gelu", "swiglu", "add", "mul")
#: Ops that produce a tensor an epilogue can consume on chip.
PRODUCER_KINDS = ("gemm", "linear", "conv2d", "attention", "flash_attention")


@dataclass(frozen=True)
class Placement:
    """Shares (0..1, numpy-friendly) of a layer's input and output traffic served on chip,
    of its scratch, and the reasons (for display: "fused epilogue", "fits on chip", ...)."""

    inputs: object = 0.0
    outputs: object = 0.0
    scratch: object = 0.0
    reason: str = "off chip"
    #: (reason, where it holds) per rule, kept only in a sweep whose points differ: the reason
    #: above names every rule that holds somewhere; :func:`placement_at` gives one point's
    masks: tuple = field(default=(), compare=False, repr=False)


OFF_CHIP = Placement()


def is_epilogue(op) -> bool:
    return isinstance(op, Elementwise) and op.op in EPILOGUE_OPS and op.reads <= 2


def is_depthwise(op) -> bool:
    return isinstance(op, Conv2d) and op.groups == op.in_channels and op.groups > 1


def is_pointwise(op) -> bool:
    return isinstance(op, Conv2d) and op.kernel_h == op.kernel_w == 1 and op.groups == 1


def _activations(layer) -> tuple:
    """(input, output, scratch) elements of one copy of the layer, compulsory traffic."""
    t = layer.op.traffic("compulsory")
    return t.inputs, t.outputs, t.scratch


def _producer(layers, i: int):
    """The nearest layer before ``i`` that is not an epilogue (what the epilogues follow)."""
    j = i - 1
    while j > 0 and is_epilogue(layers[j].op):
        j -= 1
    return layers[j].op


def _handoff_reason(layers, i: int, fits) -> tuple:
    """Why the tensor from layer i-1 to layer i stays on chip: (on-chip mask, reason)."""
    prev, cur = layers[i - 1].op, layers[i].op
    if is_epilogue(cur) and (prev.kind in PRODUCER_KINDS or is_epilogue(prev)):
        return True, "fused epilogue"
    if is_pointwise(cur) and is_depthwise(_producer(layers, i) if is_epilogue(prev) else prev):
        return True, "depthwise->pointwise fused"
    if isinstance(cur, Attention) or isinstance(prev, Attention):
        return False, ""  # Q, K, V come from three producers; K/V go to the cache; O to HBM
    return fits, "fits on chip"


def place(layers, onchip_elements) -> list[Placement]:
    """One :class:`Placement` per layer (see the module docstring for the three rules).

    ``onchip_elements`` is the on-chip capacity in elements of the working precision.
    """
    acts = [_activations(l) for l in layers]
    ops = _SCALAR if all(np.ndim(x) == 0 for a in acts for x in a) and np.ndim(onchip_elements) == 0 \
        else _ARRAY  # plain Python floats for one setting: the lab judges hundreds of mixes
    working = [i + o for i, o, _ in acts]
    out = [dict(inputs=0.0, outputs=0.0, scratch=0.0, reasons=[]) for _ in layers]
    for i in range(1, len(layers)):
        fits = (working[i - 1] <= onchip_elements) & (working[i] <= onchip_elements)
        on, reason = _handoff_reason(layers, i, fits)
        if not ops.any(on):
            continue
        handed = ops.minimum(acts[i - 1][1], acts[i][0])  # the producer's output the consumer reads
        out[i]["inputs"] = ops.where(on, ops.share(handed, acts[i][0]), 0.0)
        out[i - 1]["outputs"] = ops.where(on, ops.share(handed, acts[i - 1][1]), 0.0)
        out[i]["reasons"].append((reason, on))
    for k, (_, _, scratch) in enumerate(acts):
        if ops.any(scratch):
            out[k]["scratch"] = ops.where(scratch <= onchip_elements, 1.0, 0.0)
    return [_placement(d) for d in out]


def _share(part, whole):
    return np.where(whole > 0, part / np.maximum(whole, 1), 0.0)


class _ARRAY:
    """numpy's element-wise forms (sizes may be arrays inside a vectorized sweep)."""
    any, minimum, where, share = staticmethod(np.any), staticmethod(np.minimum), \
        staticmethod(np.where), staticmethod(_share)


class _SCALAR:
    """The same four operations on plain numbers, the same results, without numpy's overhead."""
    any = staticmethod(bool)
    minimum = staticmethod(min)

    @staticmethod
    def where(cond, a, b):
        return a if cond else b

    @staticmethod
    def share(part, whole):
        return part / max(whole, 1) if whole > 0 else 0.0


def _scalar(x):
    return float(x) if np.ndim(x) == 0 else x


def _placement(d: dict) -> Placement:
    reason = ", ".join(dict.fromkeys(r for r, _ in d["reasons"])) or "off chip"
    masks = tuple(d["reasons"]) if any(np.ndim(m) for _, m in d["reasons"]) else ()
    return Placement(_scalar(d["inputs"]), _scalar(d["outputs"]), _scalar(d["scratch"]), reason,
                     masks)


def placement_at(p: Placement, index, shape) -> Placement:
    """The placement at one point of a sweep's grid (``shape``): its shares there, and the
    rules that hold there (the sweep's ``reason`` names those that hold anywhere)."""
    at = lambda x: float(np.broadcast_to(x, shape)[index]) if np.ndim(x) else x
    reason = p.reason if not p.masks else (
        ", ".join(dict.fromkeys(r for r, m in p.masks if at(m))) or "off chip")
    return Placement(at(p.inputs), at(p.outputs), at(p.scratch), reason)
