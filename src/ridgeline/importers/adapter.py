"""An imported model as a :class:`~ridgeline.recipes.Recipe`: rebuilt at any workload.

``ridgeline.profile``, ``sweep`` and ``crossover`` take a Recipe object wherever they take a
name (``get_model(name_or_recipe)``), so an import that can be re-run at another batch or
sequence length - a Hugging Face config built on the meta device, a ``--torch`` factory run
with scaled input shapes - plugs into all of them through :func:`imported_recipe`.

Sweeps ask for a whole array of values at once. Re-tracing a model 512 times would take
minutes, so the array is built from three traces: every integer field of every operator
(and every count) is interpolated exactly by the quadratic through the first three values
(shapes are products of at most two scaled sizes: B.T rows, B.H.T^2 scores), and a fourth
trace at the largest value must agree exactly. When it does not (floor division in a
strided convolution's output size), up to :data:`MAX_TRACES` values are traced one by one.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import RidgelineError
from ..pipeline import Layer
from ..recipes import Recipe, Workload

#: Values traced one by one when the shapes are not quadratic in the swept parameter.
MAX_TRACES = 48
_SCALAR = ("batch", "seq_len", "frames")


def imported_recipe(key: str, title: str, source, params: tuple, default: Workload,
                    citation: str) -> Recipe:
    """A Recipe whose ``build(workload)`` calls ``source.trace(workload) -> list[Layer]``
    (scalar workloads) and interpolates array-valued ones (sweeps). ``source.last`` (the
    last import, with its unsupported ops and notes) is what the CLI reports."""
    return Recipe(key=key, title=title, citation=f"imported from {citation}",
                  builder=_builder(source.trace), config=source, params=tuple(params),
                  default=default)


def _builder(trace):
    def build(config, w: Workload):
        swept = [f for f in _SCALAR if np.ndim(getattr(w, f))]
        if np.ndim(w.resolution[0]):
            swept.append("resolution")
        if not swept:
            return list(trace(w))
        return _vectorized(trace, w, swept[0])
    return build


def _at(w: Workload, field: str, value) -> Workload:
    """The workload at one value of the swept field (resolution keeps the aspect ratio)."""
    if field == "resolution":
        aspect = float(np.ravel(w.resolution[1])[0] / np.ravel(w.resolution[0])[0])
        return dataclasses.replace(w, resolution=(int(value), max(1, round(value * aspect))))
    return dataclasses.replace(w, **{field: int(value)})


def _values(w: Workload, field: str) -> np.ndarray:
    return np.asarray(w.resolution[0] if field == "resolution" else getattr(w, field), float)


def _vectorized(trace, w: Workload, field: str) -> list[Layer]:
    values = _values(w, field)
    xs = sorted(set(values.tolist()))
    if len(xs) >= 4:
        built = [list(trace(_at(w, field, x))) for x in (*xs[:3], xs[-1])]
        layers = _fit(built[:3], xs[:3], values)
        if layers is not None and _agrees(layers, built[3], values, xs[-1]):
            return layers
    if len(xs) > MAX_TRACES:
        raise RidgelineError(f"this imported model's shapes are not quadratic in {field}; a "
                             f"sweep can trace at most {MAX_TRACES} values (asked {len(xs)})")
    built = [list(trace(_at(w, field, x))) for x in xs]
    index = np.searchsorted(xs, values)
    layers = _stack(built, lambda v: np.asarray(v).astype(np.int64)[index])
    if layers is None:
        raise RidgelineError(f"this imported model's layers change with {field} (a layer "
                             "appears, disappears or changes kind), so it cannot be swept")
    return layers


def _fit(built, xs, values):
    """Quadratic (Lagrange) interpolation of every integer field through three traces."""
    x0, x1, x2 = xs
    basis = [((values - x1) * (values - x2)) / ((x0 - x1) * (x0 - x2)),
             ((values - x0) * (values - x2)) / ((x1 - x0) * (x1 - x2)),
             ((values - x0) * (values - x1)) / ((x2 - x0) * (x2 - x1))]
    return _stack(built, lambda v: np.round(sum(b * y for b, y in zip(basis, v))).astype(np.int64))


def _stack(built, combine):
    """Layers whose integer fields are ``combine([value per trace])``; None if the traces
    differ in structure (names, operator types, flags)."""
    first = built[0]
    if any(len(b) != len(first) for b in built):
        return None
    out = []
    for layers in zip(*built):
        if len({(l.name, type(l.op), l.group) for l in layers}) != 1:
            return None
        op = _stack_op([l.op for l in layers], combine)
        if op is None:
            return None
        counts = [l.count for l in layers]
        count = counts[0] if len(set(counts)) == 1 else combine(np.array(counts, float))
        out.append(Layer(first[len(out)].name, op, count, first[len(out)].group))
    return out


def _stack_op(ops, combine):
    changes = {}
    for f in dataclasses.fields(ops[0]):
        vals = [getattr(o, f.name) for o in ops]
        if all(v == vals[0] for v in vals):
            continue
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
            return None  # a flag or a name changed with the parameter
        changes[f.name] = combine(np.array(vals, float))
    return dataclasses.replace(ops[0], **changes) if changes else ops[0]


def _agrees(layers, check, values, x) -> bool:
    """The interpolated layers at ``x`` equal the layers traced at ``x``."""
    i = int(np.nonzero(values == x)[0][0])
    for ours, theirs in zip(layers, check):
        for f in dataclasses.fields(theirs.op):
            if np.ndim(v := getattr(ours.op, f.name)) and v[i] != getattr(theirs.op, f.name):
                return False
        if np.ndim(ours.count) and ours.count[i] != theirs.count:
            return False
    return len(layers) == len(check)
