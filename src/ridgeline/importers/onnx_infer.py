"""Shapes for an ONNX graph: onnx's inference, then onnxruntime's symbolic inference.

onnx's shape inference (with data propagation) resolves most exported graphs. Some lose
shapes it cannot follow: the TorchScript exporter's BERT computes each reshape target at run
time from ``Shape`` -> ``Gather`` -> ``Concat`` chains, and every MatMul after the first
reshape comes back without a shape. onnxruntime's symbolic shape inference
(``onnxruntime.tools.symbolic_shape_infer``, an optional extra) carries symbolic sizes
through such chains; it runs only when some node is left without shapes, and its result is
kept when it resolves more nodes. If some still are, :func:`require_work_shapes` raises one RidgelineError naming how
many and which: a model whose matrix products went uncounted is never reported as a
near-empty total.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections import Counter

from ..errors import RidgelineError
from .common import listing

#: Nodes that carry a model's arithmetic: their shapes must be known.
WORK = {"MatMul", "Gemm", "Conv", "ConvTranspose", "Attention", "MatMulInteger", "QLinearMatMul",
        "QLinearConv", "Einsum"}
#: Longest 1-D tensor for which shape data is propagated. ONNX's data propagation holds a
#: 1-D tensor's values as one protobuf dimension each (~200 bytes of memory apiece, measured:
#: Add of two [4e6] tensors took 1.8 s and 0.8 GB), whether or not it is a shape.
DATA_PROP_MAX = 4096
SYMBOLIC_NOTE = "shapes resolved by onnxruntime's symbolic shape inference ({n} node(s))"
FOLD_NOTE = ("shapes computed at run time folded on the input sizes: {n} shape-arithmetic "
             "node(s) evaluated as constants")


def infer(onnx, model, label) -> tuple:
    """(model with inferred shapes, notes): onnx's inference, then onnxruntime's if needed,
    then the shape arithmetic folded on the known input sizes (onnx_fold) if work-carrying
    nodes are still unknown; the result that leaves the fewest nodes unknown is kept."""
    inferred, notes = _infer_onnx(onnx, model, label)
    missing = unresolved(inferred, work_only=False)
    if not missing:
        return inferred, notes
    best, extra = inferred, []
    symbolic = _infer_symbolic(model)
    if symbolic is not None and len(left := unresolved(symbolic, work_only=False)) < len(missing):
        best, extra = symbolic, [SYMBOLIC_NOTE.format(n=len(missing) - len(left))]
        missing = left
    if unresolved(best):
        from . import onnx_fold
        _, folded, n = onnx_fold.fold(onnx, model, lambda m: _infer_onnx(onnx, m, label)[0],
                                      lambda m: not unresolved(m, work_only=False))
        if len(unresolved(folded, work_only=False)) < len(missing):
            best, extra = folded, [FOLD_NOTE.format(n=n)]
    return best, notes + extra


def _infer_onnx(onnx, model, label) -> tuple:
    """Shapes first, then with data propagation if safe.

    Data propagation resolves shapes computed at run time (Shape -> Gather -> Concat ->
    Reshape, as exporters write for a dynamic batch); it runs only when the first pass left
    some node without shapes (it costs memory: ~40 kB per node on a 1,200-node graph) and
    unless a 1-D tensor longer than DATA_PROP_MAX would be expanded, in which case those
    reshapes may stay unknown.
    """
    first = _infer_once(onnx, model, label, False)
    if not unresolved(first, work_only=False):
        return first, []
    longest = max((s[0] for s in _vector_shapes(first)), default=0)
    if longest > DATA_PROP_MAX:
        note = (f"shapes computed at run time were not propagated (a 1-D tensor of "
                f"{longest:,} elements); nodes after them may be counted as unknown")
        return first, [note]
    del first  # one inferred copy of the graph in memory at a time
    return _infer_once(onnx, model, label, True), []


def _infer_once(onnx, model, label, data_prop: bool):
    try:
        return onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=data_prop)
    except Exception as exc:  # noqa: BLE001 (InferenceError and its C++ kin: a broken graph)
        from .onnx_load import line
        raise RidgelineError(f"{label}: ONNX shape inference failed ({line(exc)})") from None


def _infer_symbolic(model):
    """onnxruntime's symbolic shape inference of ``model``, or None (not installed, failed).

    Symbolic sizes are merged where an op needs them equal (auto_merge); a failure is not an
    error here - :func:`require_work_shapes` reports what stays unknown.
    """
    try:
        from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference
    except ImportError:
        return None
    # on an incomplete inference the tool saves "sym_shape_infer_temp.onnx" into the working
    # directory before raising: run it in a scratch directory so nothing lands in the user's
    with tempfile.TemporaryDirectory(prefix="ridgeline-ort-") as scratch, contextlib.chdir(scratch):
        try:
            return SymbolicShapeInference.infer_shapes(model, auto_merge=True)
        except Exception:  # noqa: BLE001 (the tool raises bare Exceptions on graphs it cannot follow)
            return None


def known_shapes(model) -> dict:
    """{tensor name: shape} for every value whose dimensions are all known and positive."""
    g = model.graph
    out = {}
    for vi in [*g.input, *g.value_info, *g.output]:
        shape = shape_of(vi)
        if shape is not None:
            out[vi.name] = shape
    out.update((t.name, tuple(t.dims)) for t in g.initializer)
    return out


def shape_of(value_info):
    """A ValueInfo's shape as a tuple of ints, or None when any dimension is unknown."""
    t = value_info.type
    if not t.HasField("tensor_type") or not t.tensor_type.HasField("shape"):
        return None
    dims = t.tensor_type.shape.dim
    if any(not d.HasField("dim_value") or d.dim_value <= 0 for d in dims):
        return None
    return tuple(d.dim_value for d in dims)


def unresolved(model, work_only: bool = True) -> list:
    """The work-carrying nodes (WORK; every node if not ``work_only``) with an input or first
    output of unknown shape."""
    shapes = known_shapes(model)
    return [n for n in model.graph.node
            if (not work_only or n.op_type in WORK and n.domain in ("", "ai.onnx"))
            and any(name and name not in shapes for name in [*n.input, *n.output[:1]])]


def require_work_shapes(model, label) -> None:
    """Raise one RidgelineError if any work-carrying node's shapes are still unknown."""
    missing = unresolved(model)
    if not missing:
        return
    total = sum(n.op_type in WORK for n in model.graph.node)
    names = ", ".join(repr(n.name) if n.name else n.op_type for n in missing[:3])
    more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
    try:
        import onnxruntime  # noqa: F401
        remedy = "set the symbolic sizes with --dims NAME=VALUE (dims=) or re-export"
    except ImportError:
        remedy = "pip install 'ridgeline[onnxruntime]' for symbolic shape inference, or set --dims"
    raise RidgelineError(
        f"{label}: the shapes of {len(missing)} of {total} work-carrying nodes "
        f"({listing(Counter(n.op_type for n in missing))}: {names}{more}) could not be "
        f"inferred, so their work cannot be counted; {remedy}")


def _vector_shapes(model):
    """The known shapes of the graph's 1-D tensors (inputs, values, outputs, initializers)."""
    g = model.graph
    shapes = [shape_of(vi) for vi in [*g.input, *g.value_info, *g.output]
              if vi.type.HasField("tensor_type") and len(vi.type.tensor_type.shape.dim) == 1]
    return [s for s in shapes if s is not None] + [tuple(i.dims) for i in g.initializer
                                                   if len(i.dims) == 1]
