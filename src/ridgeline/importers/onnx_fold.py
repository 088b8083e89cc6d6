"""Shape arithmetic folded to constants once the input shapes are known.

Exporters compute reshape targets at run time: ``Shape`` -> ``Gather``/``Slice`` ->
``Concat`` -> ``Reshape``. onnx's data propagation follows the common chains but not all of
them: the TorchScript export of ``nn.MultiheadAttention`` slices a shape with bounds that are
themselves computed (``Reshape`` of a ``Gather``), and ViT's class token is expanded to a shape
that goes through ``ConstantOfShape`` -> ``Equal`` -> ``Where``. onnxruntime's symbolic
inference stops there too. With every input size fixed (``batch``/``dims``, else 1), each of
these values is a small integer tensor that can simply be computed: :func:`fold` evaluates,
in graph order, every node whose inputs are known constants (``Shape`` needs only its input's
inferred shape), replaces it by a ``Constant`` holding its value, and runs onnx's inference
again; shapes found in one round (the next layer's input) feed the next, until no node folds.
Values larger than :data:`MAX_ELEMENTS` are left alone, and an op not in :data:`OPS` is never
folded, so what stays unknown is still reported by name (onnx_infer.require_work_shapes).
"""

from __future__ import annotations

import numpy as np

#: Largest value folded (elements): shapes and indices, never activations.
MAX_ELEMENTS = 4096


def _attrs(onnx, node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _div(a, b):
    if np.issubdtype(np.result_type(a, b), np.integer):  # ONNX integer Div truncates
        return (np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))).astype(np.result_type(a, b))
    return np.divide(a, b)


def _slice(x, starts, ends, axes=None, steps=None):
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    index = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        index[int(a)] = slice(int(s), int(e), int(st))
    return x[tuple(index)]


def _unsqueeze(x, axes):
    rank = x.ndim + len(axes)
    for a in sorted(int(a) % rank for a in axes):
        x = np.expand_dims(x, a)
    return x


def _squeeze(x, axes):
    return np.squeeze(x) if axes is None else np.squeeze(x, axis=tuple(int(a) for a in axes))


def _reshape(x, shape):
    shape = [x.shape[i] if int(d) == 0 else int(d) for i, d in enumerate(shape)]
    return x.reshape(shape)


def _sized(shape) -> tuple:
    shape = tuple(int(d) for d in np.ravel(shape))
    if any(d < 0 for d in shape) or np.prod(shape, dtype=float) > MAX_ELEMENTS:
        raise _TooBig
    return shape


class _TooBig(Exception):
    """A value over MAX_ELEMENTS (or a negative size): not folded."""


OPS = {  # op type: f(inputs, attributes) -> output (inputs are numpy arrays, None if absent)
    "Identity": lambda i, at: i[0],
    "Cast": lambda i, at: i[0].astype(at["np_to"]),
    "Gather": lambda i, at: np.take(i[0], i[1], axis=at.get("axis", 0)),
    "Concat": lambda i, at: np.concatenate(i, axis=at["axis"]),
    "Slice": lambda i, at: (_slice(i[0], *i[1:5]) if len(i) > 1
                            else _slice(i[0], at["starts"], at["ends"], at.get("axes"))),
    "Unsqueeze": lambda i, at: _unsqueeze(i[0], i[1] if len(i) > 1 else at["axes"]),
    "Squeeze": lambda i, at: _squeeze(i[0], i[1] if len(i) > 1 else at.get("axes")),
    "Reshape": lambda i, at: _reshape(i[0], i[1]),
    "Add": lambda i, at: np.add(i[0], i[1]),
    "Sub": lambda i, at: np.subtract(i[0], i[1]),
    "Mul": lambda i, at: np.multiply(i[0], i[1]),
    "Div": lambda i, at: _div(i[0], i[1]),
    "Mod": lambda i, at: np.fmod(i[0], i[1]) if at.get("fmod") else np.mod(i[0], i[1]),
    "Neg": lambda i, at: np.negative(i[0]),
    "Abs": lambda i, at: np.abs(i[0]),
    "Sqrt": lambda i, at: np.sqrt(i[0]),
    "Floor": lambda i, at: np.floor(i[0]),
    "Ceil": lambda i, at: np.ceil(i[0]),
    "Max": lambda i, at: np.maximum.reduce(i),
    "Min": lambda i, at: np.minimum.reduce(i),
    "Equal": lambda i, at: np.equal(i[0], i[1]),
    "Less": lambda i, at: np.less(i[0], i[1]),
    "Greater": lambda i, at: np.greater(i[0], i[1]),
    "Not": lambda i, at: np.logical_not(i[0]),
    "And": lambda i, at: np.logical_and(i[0], i[1]),
    "Or": lambda i, at: np.logical_or(i[0], i[1]),
    "Where": lambda i, at: np.where(i[0], i[1], i[2]),
    "ConstantOfShape": lambda i, at: np.full(_sized(i[0]), at["np_value"]),
    "Expand": lambda i, at: np.broadcast_to(
        i[0], _sized(np.broadcast_shapes(i[0].shape, _sized(i[1])))).copy(),
    "Range": lambda i, at: np.arange(i[0], i[1], i[2]),
}


def _constant(onnx, node, at):
    """A Constant node's value, or None (sparse values are left alone)."""
    if "value" in at:
        return onnx.numpy_helper.to_array(at["value"])
    for key, dtype in (("value_int", np.int64), ("value_ints", np.int64),
                       ("value_float", np.float32), ("value_floats", np.float32)):
        if key in at:
            return np.array(at[key], dtype=dtype)
    return None


def _evaluate(onnx, node, values: dict, shapes: dict):
    """The node's first output's value, or None when it cannot (or should not) be folded."""
    at = _attrs(onnx, node)
    if node.op_type == "Constant":
        return _constant(onnx, node, at)
    if node.op_type in ("Shape", "Size"):
        shape = shapes.get(node.input[0])
        if shape is None:
            return None
        if node.op_type == "Size":
            return np.array(np.prod(shape, dtype=np.int64), dtype=np.int64)
        return np.array(shape[at.get("start", 0):at.get("end")], dtype=np.int64)
    if node.op_type not in OPS or any(n and n not in values for n in node.input):
        return None
    ins = [values[n] if n else None for n in node.input]
    if "to" in at:
        at["np_to"] = onnx.helper.tensor_dtype_to_np_dtype(at["to"])
    if node.op_type == "ConstantOfShape":
        t = at.get("value")
        at["np_value"] = onnx.numpy_helper.to_array(t).ravel()[0] if t else np.float32(0)
    with np.errstate(all="ignore"):
        return np.asarray(OPS[node.op_type](ins, at))


def _round(onnx, model, values: dict, shapes: dict) -> int:
    """Fold every node it can, in graph order: how many became Constants."""
    folded = 0
    for node in model.graph.node:
        if len(node.output) != 1 or node.domain not in ("", "ai.onnx") or not node.output[0]:
            continue
        try:
            value = _evaluate(onnx, node, values, shapes)
        except (_TooBig, ValueError, TypeError, IndexError, KeyError, OverflowError):
            value = None
        if value is None or value.size > MAX_ELEMENTS or value.dtype == object:
            continue
        values[node.output[0]] = value
        if node.op_type != "Constant":
            tensor = onnx.numpy_helper.from_array(value, node.output[0])
            node.CopyFrom(onnx.helper.make_node("Constant", [], [node.output[0]], name=node.name,
                                                value=tensor))
            folded += 1
    return folded


def fold(onnx, model, infer, resolved):
    """(a copy of ``model`` with its shape arithmetic folded, its inferred form, nodes folded).

    ``infer(model) -> inferred model``; ``resolved(inferred) -> bool`` stops the rounds.
    Initializers seed the values only if they hold indices or shapes, or one number: a
    weight (ViT's class token, expanded to the batch) is never folded away."""
    from .onnx_graph import INDEX_TYPES
    from .onnx_infer import known_shapes
    work = onnx.ModelProto()
    work.CopyFrom(model)
    values = {t.name: onnx.numpy_helper.to_array(t) for t in work.graph.initializer
              if t.data_type in INDEX_TYPES or np.prod(t.dims, dtype=np.int64) <= 1}
    inferred, total = infer(work), 0
    while not resolved(inferred):
        n = _round(onnx, work, values, known_shapes(inferred))
        if not n:
            break
        total += n
        inferred = infer(work)
    return work, inferred, total
