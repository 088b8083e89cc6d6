"""Limits on the tensor shapes an ONNX node declares, checked before any op is built.

A file may declare any int64 dimension; ridgeline accepts a dimension up to
:data:`ridgeline.errors.MAX_DIM` (10^9) and a tensor up to :data:`MAX_ELEMENTS` (10^15
elements). Every input and output shape of a node the importer maps is checked here, so an
absurd declaration - a Conv over a [1, 3, 1e9, 1e9] image, 3e18 elements - is one
RidgelineError naming the node, never a profiled model and never an overflow later on.
"""

from __future__ import annotations

from math import prod

from ..errors import MAX_DIM, MAX_ELEMENTS, RidgelineError, check_dim


def node_label(node, index: int) -> str:
    """How an error names a node: ``node '/stem/Conv' (Conv)``, or by position if unnamed."""
    where = repr(node.name) if node.name else f"#{index}"
    return f"node {where} ({node.op_type})"


def check_node_shapes(label: str, node, ins, outs) -> None:
    """Every known input and output shape of ``node`` within the limits (see check_shape)."""
    for role, names, shapes in (("input", node.input, ins), ("output", node.output, outs)):
        for name, shape in zip(names, shapes):
            if name and shape is not None:
                check_shape(f"{label} {role} {name!r}", shape)


def check_shape(what: str, shape) -> tuple:
    """``shape`` if each dimension lies in [0, MAX_DIM] and the product <= MAX_ELEMENTS.

    Zero is allowed (an empty tensor is legal ONNX); the op built from it says whether it
    makes sense. The product is a Python int, so it cannot wrap around.
    """
    n = prod(shape)
    if (not shape or 0 <= min(shape) and max(shape) <= MAX_DIM) and n <= MAX_ELEMENTS:
        return tuple(shape)  # the common case, without a call per dimension
    for axis, d in enumerate(shape):
        check_dim(f"{what} dimension {axis}", d, minimum=0)
    if n > MAX_ELEMENTS:
        raise RidgelineError(f"{what} of shape {list(shape)} has {n:,} elements, beyond the "
                             f"supported maximum {MAX_ELEMENTS:,}")
    return tuple(shape)
