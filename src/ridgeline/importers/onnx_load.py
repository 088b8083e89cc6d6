"""Open an ONNX model for the importer: size cap, weights as shapes only, checker.

A file is read by :mod:`onnx_wire`, which leaves out the top-level initializers that are
large or stored externally; each comes back as a graph input of its type and shape (so
shape inference still sees it) and is remembered as a weight. Large ``Constant`` nodes are
turned into inputs the same way. Small tensors keep their values: shape arithmetic
(Reshape targets, Slice bounds) reads them. What is kept - the graph - is capped at
``max_bytes`` (default 256 MB, or $RIDGELINE_ONNX_MAX_MB) before anything is parsed.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field

from ..errors import RidgelineError, check_dim
from . import onnx_wire

#: Default cap on an ONNX graph's bytes, weights' values excluded (MB = 10^6 bytes).
DEFAULT_MAX_MB = 256
ENV_MAX_MB = "RIDGELINE_ONNX_MAX_MB"
#: Tensors whose values take at most this many bytes keep them (128 int64: any shape).
KEEP_BYTES = 1024


@dataclass
class Loaded:
    """A model ready for shape inference, its weights' shapes, and what loading set aside."""

    model: object
    label: str
    weights: dict = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)


def cap_bytes(max_bytes=None) -> int:
    """The cap in bytes: ``max_bytes``, else $RIDGELINE_ONNX_MAX_MB megabytes, else 256 MB."""
    if max_bytes is not None:
        return check_dim("max_bytes", max_bytes, maximum=2**62)
    env = os.environ.get(ENV_MAX_MB)
    if env is None or not env.strip():
        return DEFAULT_MAX_MB * 10**6
    try:
        mb = float(env)
    except ValueError:
        mb = math.nan
    if not (math.isfinite(mb) and mb * 10**6 >= 1):
        raise RidgelineError(f"{ENV_MAX_MB} must be a positive number of megabytes, got {env!r}")
    return int(mb * 10**6)


def load(onnx, src, max_bytes=None) -> Loaded:
    """(model, label, weights) from a path or a ModelProto, or one clear RidgelineError."""
    if isinstance(src, onnx.ModelProto):
        out = onnx.ModelProto()
        out.CopyFrom(src)  # the caller's model is left as it was
        loaded = Loaded(out, src.graph.name or "onnx model")
        _strip_initializers(onnx, loaded)
    elif isinstance(src, (str, os.PathLike)):
        loaded = _read(onnx, os.fspath(src), cap_bytes(max_bytes))
    else:
        raise RidgelineError(
            f"from_onnx needs a path or an onnx.ModelProto, got {type(src).__name__}")
    _strip_constants(onnx, loaded)
    _check(onnx, loaded)
    return loaded


def _read(onnx, path: str, cap: int) -> Loaded:
    if os.path.isdir(path):
        raise RidgelineError(f"{path} is a directory, not an ONNX file")
    if not os.path.isfile(path):
        raise RidgelineError(f"no such ONNX file: {path}")
    try:
        data, dropped = onnx_wire.read(path, cap, KEEP_BYTES)
        model = onnx.ModelProto()
        model.ParseFromString(data)
    except onnx_wire.TooBig as big:
        raise RidgelineError(
            f"{path} holds a {big.size:,}-byte graph (weights' values excluded), over the "
            f"{_mb(cap)} MB cap ({cap:,} bytes); raise it with from_onnx(..., max_bytes=N) "
            f"or {ENV_MAX_MB}=<megabytes>") from None
    except OSError as exc:
        raise RidgelineError(f"{path} cannot be read ({exc.strerror or exc})") from None
    except Exception as exc:  # noqa: BLE001 (WireError, protobuf's DecodeError)
        raise RidgelineError(f"{path} is not a readable ONNX model ({line(exc)})") from None
    loaded = Loaded(model, path)
    _drop_inputs(model.graph, {w.name for w in dropped})
    for w in dropped:
        if w.external:
            _check_external(path, w)
        _as_input(onnx, loaded, w.name, w.dtype, w.dims, weight=True)
    loaded.weights.update((i.name, tuple(i.dims)) for i in model.graph.initializer)
    return loaded


def _mb(n: int) -> str:
    """Bytes as megabytes without float noise: 256000000 -> '256', 80 -> '0.00008'."""
    return f"{n / 1e6:,.6f}".rstrip("0").rstrip(".")


def _check_external(path: str, w) -> None:
    """The file an external weight names exists beside the model and is long enough."""
    where = w.external.get("location", "")
    full = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), where))
    if not where or os.path.isabs(where) or ".." in where.replace("\\", "/").split("/"):
        raise RidgelineError(f"{path}: weight {w.name!r} names an external file outside the "
                             f"model's folder ({where!r})")
    if not os.path.isfile(full):
        raise RidgelineError(f"{path}: weight {w.name!r} is stored in {where}, which is missing")
    try:
        need = int(w.external.get("offset", 0) or 0) + int(w.external.get("length", 0) or 0)
    except ValueError:
        raise RidgelineError(f"{path}: weight {w.name!r} has a malformed offset or length") from None
    if os.path.getsize(full) < need:
        raise RidgelineError(f"{path}: {where} is shorter than weight {w.name!r} needs "
                             f"({os.path.getsize(full):,} < {need:,} bytes): truncated")


def _drop_inputs(g, names: set) -> None:
    """Remove the graph inputs named ``names`` (IR < 4 lists weights as inputs too)."""
    kept = [i for i in g.input if i.name not in names]
    if len(kept) < len(g.input):
        copies = [type(i)() for i in kept]
        for copy, i in zip(copies, kept):
            copy.CopyFrom(i)
        del g.input[:]
        g.input.extend(copies)


def _as_input(onnx, loaded: Loaded, name, dtype, dims, weight: bool) -> None:
    """Declare ``name`` a graph input of its tensor's type (after :func:`_drop_inputs`)."""
    g = loaded.model.graph
    g.input.append(onnx.helper.make_tensor_value_info(name, dtype, [int(d) for d in dims]))
    if weight:
        loaded.weights[name] = tuple(int(d) for d in dims)


def _strip_initializers(onnx, loaded: Loaded) -> None:
    """In-memory models: large or external initializers become shape-only inputs too."""
    g = loaded.model.graph
    _drop_inputs(g, {t.name for t in g.initializer if _stripped(onnx, t)})
    for i in reversed(range(len(g.initializer))):
        t = g.initializer[i]
        if _stripped(onnx, t):
            _as_input(onnx, loaded, t.name, t.data_type, t.dims, weight=True)
            del g.initializer[i]
    loaded.weights.update((t.name, tuple(t.dims)) for t in g.initializer)


def _stripped(onnx, t) -> bool:
    return t.data_location == onnx.TensorProto.EXTERNAL or _value_bytes(t) > KEEP_BYTES


def _strip_constants(onnx, loaded: Loaded) -> None:
    """A large ``Constant`` node becomes an input of its shape (counted as a skipped Constant)."""
    g = loaded.model.graph
    for i in reversed(range(len(g.node))):
        node = g.node[i]
        if node.op_type != "Constant" or node.domain not in ("", "ai.onnx"):
            continue
        value = next((a.t for a in node.attribute if a.name == "value" and a.HasField("t")),
                     None)
        if value is not None and _value_bytes(value) > KEEP_BYTES and node.output:
            _as_input(onnx, loaded, node.output[0], value.data_type, value.dims, weight=False)
            loaded.skipped["Constant"] += 1
            del g.node[i]


def _value_bytes(tensor) -> int:
    """About the bytes of a tensor's values: its encoding less its name and dims (varints)."""
    return tensor.ByteSize() - len(tensor.name) - 8 * len(tensor.dims)


def _check(onnx, loaded: Loaded) -> None:
    """A graph with nodes that passes onnx.checker, or one line saying what is wrong."""
    if not loaded.model.graph.node:
        raise RidgelineError(f"{loaded.label} is not an ONNX model (no graph nodes)")
    try:
        onnx.checker.check_model(loaded.model)
    except Exception as exc:  # noqa: BLE001 (ValidationError, or a C++ error for a broken proto)
        raise RidgelineError(f"{loaded.label} is a malformed ONNX model ({line(exc)})") from None


def line(exc) -> str:
    """An exception's text on one line, at most 200 characters."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
