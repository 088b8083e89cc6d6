"""User-facing errors and input validation.

Every bad input (unknown name, zero/negative/NaN/inf/absurd size, impossible shape) raises
:class:`RidgelineError` with one clear sentence; the CLI prints it and exits 2.
"""

from __future__ import annotations

import math
import re

import numpy as np

#: Largest accepted tensor dimension. Beyond a billion elements on one axis a shape is a typo,
#: not a workload (Llama-3.1's longest context is 131,072 tokens).
MAX_DIM = 10**9
#: Largest accepted element count of a whole tensor (a product of dimensions).
MAX_ELEMENTS = 10**15
#: Largest accepted element count of one operand or result tensor (inputs, weights, outputs):
#: an exabyte at one byte per element is no workload, and Python-int sizes beyond it would
#: overflow numpy's int64 (9.2e18) wherever the pipeline mixes them with numpy.
MAX_TENSOR = 10**18


class RidgelineError(ValueError):
    """A problem with what the user asked for (not a bug in ridgeline): one line of text, so
    a message quoting a multi-line value (a numpy array's repr) is joined onto one line."""

    def __init__(self, message: str = "", *args):
        super().__init__(re.sub(r"\s*\n\s*", " ", str(message)), *args)


def shown(value, limit: int = 60) -> str:
    """``repr(value)`` on one line, cut to ``limit`` characters: how messages quote input."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_NUMBER = (int, float, np.integer, np.floating)


def as_number(name: str, value):
    """A Python ``int`` or ``float`` from a Python or numpy number (a 0-d array counts as its
    scalar); RidgelineError for booleans, strings, None, containers and arrays of more."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, _NUMBER):
        raise RidgelineError(f"{name} must be a number, got {shown(value)}")
    # numpy scalars compare in their own precision (float16's 10**9 is inf, int8's wraps):
    # convert exactly first, then check
    return int(value) if isinstance(value, (int, np.integer)) else float(value)


def check_size(name: str, value, *, minimum: int = 1, maximum: int = MAX_DIM) -> int:
    """A whole number in [minimum, maximum] as an exact Python ``int``; RidgelineError otherwise.

    The public boundary's check: Python and numpy integers, integral floats (numpy's too) and
    0-d arrays are accepted; booleans, strings, NaN, inf, fractions and arrays are not.
    """
    x = as_number(name, value)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise RidgelineError(f"{name} must be finite, got {x}")
        if not x.is_integer():
            raise RidgelineError(f"{name} must be a whole number, got {x}")
        x = int(x)
    if x < minimum:
        raise RidgelineError(f"{name} must be at least {minimum}, got {x}")
    if x > maximum:
        raise RidgelineError(f"{name}={x:,} is beyond the supported maximum {maximum:,}")
    return x


def check_dim(name: str, value, *, minimum: int = 1, maximum: int = MAX_DIM):
    """:func:`check_size`, plus 1-d and wider numeric arrays (vectorized sweeps), which come
    back as float arrays (never wrapping around like int64; the solver's grids are continuous).
    """
    if isinstance(value, np.ndarray) and value.ndim > 0:
        if value.dtype.kind not in "iuf":
            raise RidgelineError(f"{name} must be numbers, got an array of {value.dtype}")
        value = value.astype(float)
        if value.size == 0 or not np.all(np.isfinite(value)):
            raise RidgelineError(f"{name} must be finite numbers")
        if np.any(value < minimum) or np.any(value > maximum):
            raise RidgelineError(f"{name} must lie in [{minimum}, {maximum:,}]")
        return value
    return check_size(name, value, minimum=minimum, maximum=maximum)


def check_tensors(kind: str, **elements) -> None:
    """Each named tensor (an element count, or an array of them) holds at most MAX_TENSOR."""
    for name, n in elements.items():
        if np.max(n) > MAX_TENSOR:
            raise RidgelineError(f"{kind} {name} would hold {float(np.max(n)):.3g} elements, "
                                 f"beyond the supported maximum {MAX_TENSOR:.0e}")


def check_op(op, what: str = "an operator") -> None:
    """An operator object: macs(), flops(), params() and traffic() (ridgeline.ops.Op)."""
    if isinstance(op, type) or not all(callable(getattr(op, a, None))
                                       for a in ("macs", "flops", "params", "traffic")):
        raise RidgelineError(f"{what} must be an operator object (e.g. ridgeline.ops.Gemm), "
                             f"got {shown(op)}")


def set_dim(obj, name: str, **limits):
    """Validate ``obj.name`` with :func:`check_dim` and store the exact Python value back on the
    (frozen) dataclass: numpy integers become ints, so products never wrap around at 2**63."""
    object.__setattr__(obj, name, check_dim(name, getattr(obj, name), **limits))


def check_flag(name: str, value) -> bool:
    """A strict boolean: True/False (or numpy's, or a 0-d boolean array); never a truthy
    string such as 'no', nor 0/1."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise RidgelineError(f"{name} must be True or False, got {shown(value)}")


def check_flags(obj, *names: str) -> None:
    """:func:`check_flag` on each named field of a frozen dataclass, stored back as bool."""
    for name in names:
        object.__setattr__(obj, name, check_flag(name, getattr(obj, name)))


def check_positive(name: str, value: float) -> float:
    """Return ``value`` as a float if it is a finite number > 0 (never a string or a bool)."""
    x = float(as_number(name, value))
    if not math.isfinite(x) or x <= 0:
        raise RidgelineError(f"{name} must be a positive finite number, got {value}")
    return x


def check_name(kind: str, name) -> str:
    """A registry name must be a string (numpy's str_ is one); anything else is a clean error
    rather than a lookup of its repr."""
    if not isinstance(name, str):
        raise RidgelineError(f"{kind} must be a name (a string), got {shown(name)}")
    return name


def unknown(kind: str, name: str, known) -> RidgelineError:
    """Build the standard 'unknown X' error listing the valid names."""
    return RidgelineError(f"unknown {kind} {shown(name)}; choose one of: {', '.join(sorted(known))}")
