"""User-facing errors and input validation.

Every bad input (unknown name, zero/negative/NaN/inf/absurd size, impossible shape) raises
:class:`RidgelineError` with one clear sentence; the CLI prints it and exits 2.
"""

from __future__ import annotations

import math

import numpy as np

#: Largest accepted tensor dimension. Beyond a billion elements on one axis a shape is a typo,
#: not a workload (Llama-3.1's longest context is 131,072 tokens).
MAX_DIM = 10**9
#: Largest accepted element count of a whole tensor (a product of dimensions).
MAX_ELEMENTS = 10**15


class RidgelineError(ValueError):
    """A problem with what the user asked for (not a bug in ridgeline)."""


def check_dim(name: str, value, *, minimum: int = 1, maximum: int = MAX_DIM):
    """Return ``value`` if it is a whole number in [minimum, maximum]; raise otherwise.

    Accepts Python ints, integral floats and numpy arrays (for vectorized sweeps).
    """
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "iuf":
            raise RidgelineError(f"{name} must be numbers, got an array of {value.dtype}")
        value = value.astype(float)  # never wraps around like int64; the solver's grids are continuous
        if value.size == 0 or not np.all(np.isfinite(value)):
            raise RidgelineError(f"{name} must be finite numbers")
        if np.any(value < minimum) or np.any(value > maximum):
            raise RidgelineError(f"{name} must lie in [{minimum}, {maximum:,}]")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise RidgelineError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise RidgelineError(f"{name} must be finite, got {value}")
    if value != int(value):
        raise RidgelineError(f"{name} must be a whole number, got {value}")
    if value < minimum:
        raise RidgelineError(f"{name} must be at least {minimum}, got {int(value)}")
    if value > maximum:
        raise RidgelineError(f"{name}={int(value):,} is beyond the supported maximum {maximum:,}")
    return int(value)


def set_dim(obj, name: str, **limits):
    """Validate ``obj.name`` with :func:`check_dim` and store the exact Python value back on the
    (frozen) dataclass: numpy integers become ints, so products never wrap around at 2**63."""
    object.__setattr__(obj, name, check_dim(name, getattr(obj, name), **limits))


def check_flag(name: str, value) -> bool:
    """A strict boolean: True/False (or numpy's); never a truthy string such as 'no'."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise RidgelineError(f"{name} must be True or False, got {value!r}")


def check_flags(obj, *names: str) -> None:
    """:func:`check_flag` on each named field of a frozen dataclass, stored back as bool."""
    for name in names:
        object.__setattr__(obj, name, check_flag(name, getattr(obj, name)))


def check_positive(name: str, value: float) -> float:
    """Return ``value`` as a float if it is finite and > 0; raise otherwise."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise RidgelineError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(x) or x <= 0:
        raise RidgelineError(f"{name} must be a positive finite number, got {value}")
    return x


def unknown(kind: str, name: str, known) -> RidgelineError:
    """Build the standard 'unknown X' error listing the valid names."""
    return RidgelineError(f"unknown {kind} {name!r}; choose one of: {', '.join(sorted(known))}")
