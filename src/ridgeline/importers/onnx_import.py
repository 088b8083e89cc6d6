"""ONNX graph -> ridgeline layers: load, check, infer shapes, map each node.

Initializers are the weights (also through views: onnx_graph). Symbolic input sizes (a
dynamic batch 'N') are set before shape inference: ``batch`` sets every symbolic leading
dimension (a batch the export fixed is accepted when equal), ``dims`` names others
({'sequence': 512}); any left unset become 1 and are noted. Shapes come from onnx's
inference, then onnxruntime's symbolic inference if installed (onnx_infer); work-carrying
nodes left without shapes are an error, never a near-empty total. Layer names follow the
module path PyTorch's exporters record (onnx_names: ``/layer1/layer1.0/conv1/Conv`` or
dynamo's name scopes -> ``layer1.0.conv1``), so an exported model reads like the module it
came from; matmul -> softmax -> matmul attention is folded into one layer as in from_torch.

onnx is imported inside the functions only: importing ridgeline.importers costs nothing.
"""

from __future__ import annotations

import os
from collections import Counter
from math import prod

from ..errors import RidgelineError, check_dim
from ..ops import Embedding
from . import common, onnx_graph, onnx_infer, onnx_load
from .onnx_infer import DATA_PROP_MAX  # noqa: F401 (re-exported: the limit lives there)
from .onnx_names import module_path  # noqa: F401 (re-exported)
from .torch_attention import NOTE as ATTENTION_NOTE
from .torch_attention import fold_attention

#: Nodes that only move, reshape or describe data (see ImportedLayers.skipped).
LAYOUT = {
    "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Shape", "Size", "Constant",
    "ConstantOfShape", "Identity", "Cast", "CastLike", "Concat", "Slice", "Split", "Expand",
    "Range", "Gather", "GatherElements", "Tile", "Dropout", "Pad", "Trilu", "EyeLike",
    "DepthToSpace", "SpaceToDepth", "SplitToSequence", "Optional", "OptionalGetElement",
}
#: Elementwise node -> ridgeline's op name (its FLOPs per element); others: lowercased.
POINTWISE = {
    "Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Relu": "relu", "PRelu": "prelu",
    "Gelu": "gelu", "Sigmoid": "sigmoid", "HardSigmoid": "hardsigmoid", "HardSwish": "hardswish",
    "Tanh": "tanh", "Erf": "erf", "Exp": "exp", "Log": "log", "Sqrt": "sqrt", "Pow": "pow",
    "Reciprocal": "reciprocal", "Neg": "neg", "Abs": "abs", "Clip": "clip", "LeakyRelu": "relu",
    "Elu": "elu", "Selu": "selu", "Softplus": "softplus", "Mish": "mish", "Where": "where",
    "Max": "max", "Min": "min", "Sum": "add", "Mean": "add", "Equal": "eq", "Less": "lt",
    "Greater": "gt", "LessOrEqual": "le", "GreaterOrEqual": "ge", "Not": "not", "And": "and",
    "Or": "or", "Floor": "floor", "Ceil": "ceil", "Round": "round", "Sign": "sign",
    "Sin": "sin", "Cos": "cos", "IsNaN": "isnan", "Mod": "mod", "BitShift": "bitshift",
    "QuantizeLinear": "quantize", "DequantizeLinear": "dequantize",
}
REDUCE = {"ReduceMean": "mean", "ReduceSum": "sum", "ReduceMax": "max", "ReduceMin": "min",
          "ReduceL2": "sum", "ReduceSumSquare": "sum", "ArgMax": "max", "ArgMin": "min"}
NORMS = {"LayerNormalization": "layernorm", "BatchNormalization": "batchnorm",
         "InstanceNormalization": "groupnorm", "GroupNormalization": "groupnorm",
         "RMSNormalization": "rmsnorm", "SimplifiedLayerNormalization": "rmsnorm"}
POOLS = {"MaxPool": "maxpool", "AveragePool": "avgpool"}
GLOBAL_POOLS = {"GlobalAveragePool": "avgpool", "GlobalMaxPool": "max"}


def from_onnx(path_or_model, *, batch: int | None = None, dims: dict | None = None,
              name: str | None = None, max_bytes: int | None = None) -> common.ImportedLayers:
    """Read an ONNX model (a path or an onnx.ModelProto) and return its nodes as Layers.

    A file's graph (weights' values excluded: they are never read) may hold at most
    ``max_bytes`` bytes, default 256 MB or $RIDGELINE_ONNX_MAX_MB megabytes (onnx_load).
    Raises RidgelineError with one line for a missing, unreadable, oversized, malformed or
    non-ONNX file, an absurd tensor shape (naming the node), a model with nothing ridgeline
    can count, and when onnx is not installed. Ops it cannot model are kept in
    ``.unsupported`` and reported in one one-line warning.
    """
    onnx = _onnx()
    loaded = onnx_load.load(onnx, path_or_model, max_bytes)
    notes = _fix_inputs(loaded.model, batch, dict(dims or {}), set(loaded.weights))
    model, inferred = onnx_infer.infer(onnx, loaded.model, loaded.label)
    onnx_infer.require_work_shapes(model, loaded.label)
    notes += inferred
    g = _Graph(onnx, model, loaded.weights, loaded.skipped)
    for index, node in enumerate(model.graph.node):
        g.map(node, index)
    records, found = fold_attention(g.final_records())
    notes += [ATTENTION_NOTE.format(n=found)] if found else []
    layers = common.ImportedLayers(
        common.name_layers(records), name=name or _title(loaded.label), source="onnx",
        unsupported=g.unsupported, skipped=g.skipped, notes=notes + g.notes)
    if not layers:
        left = layers.unsupported_summary or "only layout ops " + common.listing(layers.skipped)
        raise RidgelineError(f"{loaded.label} has no operator ridgeline can count ({left})")
    return layers.warn()


def _onnx():
    try:
        import onnx
    except ImportError:
        raise RidgelineError("reading .onnx files needs the onnx package: "
                             "pip install 'ridgeline[onnx]'") from None
    return onnx


def _title(label: str) -> str:
    return os.path.basename(label) or label


def _fix_inputs(model, batch, dims, weights) -> list[str]:
    """Give every symbolic input size a value: dims[name], else batch (leading), else 1."""
    if batch is not None:
        check_dim("batch", batch)
    notes, defaulted, batch_used = [], Counter(), False
    for inp in model.graph.input:
        if inp.name in weights or not inp.type.HasField("tensor_type"):
            continue
        for axis, d in enumerate(inp.type.tensor_type.shape.dim):
            if d.HasField("dim_value") and d.dim_value > 0:
                continue
            label = d.dim_param or f"{inp.name}[{axis}]"
            if d.dim_param in dims:
                value = check_dim(f"dimension {d.dim_param!r}", dims[d.dim_param])
            elif axis == 0 and batch is not None:
                value, batch_used = batch, True
            else:
                value = 1
                defaulted[label] += 1
            d.dim_value = value
    if batch is not None and not batch_used:
        _check_fixed_batch(model, batch, weights)
    if defaulted:
        notes.append(f"symbolic size{'s' if len(defaulted) > 1 else ''} "
                     f"{', '.join(sorted(defaulted))} set to 1 (pass dims={{name: value}} "
                     "or batch= to choose)")
    return notes


def _check_fixed_batch(model, batch, weights) -> None:
    """A batch the export fixed is accepted when it is the one asked for, else refused."""
    fixed = {d[0].dim_value for inp in model.graph.input if inp.name not in weights
             and inp.type.HasField("tensor_type")
             for d in [inp.type.tensor_type.shape.dim] if len(d) and d[0].dim_value > 0}
    if fixed != {batch}:
        had = ", ".join(map(str, sorted(fixed))) or "none"
        raise RidgelineError(f"the model's inputs have a fixed batch size ({had}), not "
                             f"{batch}; re-export it with a dynamic batch dimension to set "
                             "--batch")


class _Graph(onnx_graph.Graph):
    """The walk's state (onnx_graph.Graph) with this module's node handlers."""

    def map(self, node, index: int = 0):
        super().map(node, index, HANDLERS, POINTWISE, LAYOUT)


# ---------------------------------------------------------------- node -> ridgeline


def _matmul(g, node, ins, outs, at):
    a, b = node.input[:2]
    short, op, count = common.matmul(ins[0], ins[1], g.is_weight(a), g.is_weight(b))
    return [(short, op, count)]


def _gemm(g, node, ins, outs, at):
    """Y = alpha . A' . B' + beta . C with A' = A^T if transA, B' = B^T if transB."""
    a, b = node.input[:2]
    sa = ins[0][::-1] if at.get("transA") else ins[0]
    sb = ins[1][::-1] if at.get("transB") else ins[1]
    short, op, count = common.matmul(sa, sb, g.is_weight(a), g.is_weight(b))
    c = node.input[2] if len(node.input) > 2 else ""
    if c and g.is_weight(c) and prod(g.weight_shape(c)) == op.n:
        op = common.linear_with_bias(op)
    return [(short, op, count)]


def _conv(g, node, ins, outs, at):
    x, w = ins[0], ins[1]
    if len(x) not in (3, 4):
        g.unsupported[f"Conv ({len(x) - 2}-D)"] += 1
        return []
    two_d = len(x) == 4
    kernel = tuple(w[2:]) if two_d else (1, w[2])
    hw = tuple(x[2:]) if two_d else (1, x[2])
    stride = _pair(at.get("strides"), 1, two_d)
    dil = _pair(at.get("dilations"), 1, two_d)
    pads = _pads(at, hw, kernel, stride, dil, two_d)
    bias = len(node.input) > 2 and bool(node.input[2])
    op = common.conv(x[0], x[1], w[0], hw, kernel, stride, pads, dil, at.get("group", 1), bias)
    return [("conv2d" if two_d else "conv1d", op, 1)]


def _pair(values, default, two_d):
    """An ONNX per-axis list -> (h, w); a 1-D op's single axis becomes the width."""
    v = list(values) if values else [default] * (2 if two_d else 1)
    return tuple(v) if two_d else (default, v[0])


def _pads(at, hw, kernel, stride, dil, two_d):
    """(top, left, bottom, right) from pads [begins..., ends...] or auto_pad."""
    auto = at.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        up = auto == "SAME_UPPER"
        (t, b), (l, r) = (same_pads(hw[i], kernel[i], stride[i], dil[i], up) for i in (0, 1))
        return t, l, b, r
    p = list(at.get("pads") or [])
    if not p or auto == "VALID":
        return 0, 0, 0, 0
    return (p[0], p[1], p[2], p[3]) if two_d else (0, p[0], 0, p[1])


same_pads = common.same_pads


def _attention(g, node, ins, outs, at):
    """ONNX Attention (opset 23): Q, K, V as (B, H, T, d) or (B, T, H.d) with head counts."""
    q, k, v = ins[:3]
    if len(q) == 4:
        b, h, tq, d = q
        hkv, tk, dv = k[1], k[2], v[3]
    else:
        h, hkv = at.get("q_num_heads", 1), at.get("kv_num_heads", 1)
        b, tq, d = q[0], q[1], q[2] // h
        tk, dv = k[1], v[2] // hkv
    past = ins[4] if len(ins) > 4 and node.input[4] else None
    tk += past[2] if past else 0
    masked = len(node.input) > 3 and bool(node.input[3])
    return common.attention(b, h, hkv, tq, tk, d, dv, at.get("is_causal", 0) and not masked)


def _softmax(g, node, ins, outs, at):
    return [("softmax", common.pointwise("softmax", prod(outs[0]), 0, 0), 1)]


def _norm(g, node, ins, outs, at):
    kind = NORMS[node.op_type]
    affine = node.input[1:3]  # scale, bias; BatchNormalization's mean and var are statistics
    return [(kind, common.normalization(kind, prod(ins[0]), g.weight_elems(affine)), 1)]


def _pool(g, node, ins, outs, at):
    kind, x, y = POOLS[node.op_type], ins[0], outs[0]
    if len(x) != 4:
        return [(kind, common.reduction(kind, prod(y), prod(x)), 1)]
    kernel = tuple(at["kernel_shape"])
    stride = _pair(at.get("strides"), 1, True)
    dil = _pair(at.get("dilations"), 1, True)
    pads = _pads(at, x[2:], kernel, stride, dil, True)
    if dil != (1, 1):
        return [(kind, common.reduction(kind, prod(y), prod(x)), 1)]
    return [(kind, common.pool(kind, x[0], x[1], x[2:], kernel, stride, pads, y[2:]), 1)]


def _global_pool(g, node, ins, outs, at):
    kind = GLOBAL_POOLS[node.op_type]
    return [(kind, common.reduction(kind, prod(outs[0]), prod(ins[0])), 1)]


def _reduce(g, node, ins, outs, at):
    kind = REDUCE[node.op_type]
    return [(kind, common.reduction(kind, prod(outs[0]), prod(ins[0])), 1)]


def _gather(g, node, ins, outs, at):
    """Gather rows of a 2-D weight (an embedding table); any other Gather is layout."""
    table = node.input[0]
    if g.is_weight(table) and len(ins[0]) == 2 and at.get("axis", 0) == 0:
        return [("embedding", Embedding(prod(ins[1]) or 1, ins[0][0], ins[0][1]), 1)]
    g.skipped["Gather"] += 1
    g.carry(node.input[:1])  # a table read through an index (relative positions) is held
    return []


def _pointwise(g, node, ins, outs, at):
    name = POINTWISE.get(node.op_type, node.op_type.lower())
    acts = sum(prod(s) for n, s in zip(node.input, ins) if n and not g.is_weight(n))
    weights = g.weight_elems([n for n in node.input if n])
    return [(name, common.pointwise(name, max(1, prod(outs[0])), acts, weights), 1)]


HANDLERS = {
    "MatMul": _matmul, "Gemm": _gemm, "Conv": _conv, "Attention": _attention,
    "Softmax": _softmax, "LogSoftmax": _softmax, "Gather": _gather,
    **{k: _norm for k in NORMS}, **{k: _pool for k in POOLS},
    **{k: _global_pool for k in GLOBAL_POOLS}, **{k: _reduce for k in REDUCE},
    "<pointwise>": _pointwise,
}
