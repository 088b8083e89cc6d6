"""ridgeline: an arithmetic-intensity laboratory for neural networks.

Intensity = FLOPs / bytes moved; ridge = peak / bandwidth; time = max(FLOPs/peak, bytes/BW).
The core imports only numpy (and the standard library); the lab, CLI and importers sit on top.
The public surface is :mod:`ridgeline.api`, re-exported here and loaded on first use (PEP 562),
so that ``import ridgeline.cli`` (``ridgeline --help``) or ``ridgeline.format`` loads no numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .api import (
        DTYPES,
        Crossover,
        Estimate,
        Profile,
        RidgelineError,
        SweepResult,
        crossover,
        estimate,
        get_dtype,
        get_hardware,
        get_model,
        hardware_registry,
        make_op,
        models,
        op,
        profile,
        sweep,
        total,
    )

__version__ = "0.1.0"
__all__ = ["DTYPES", "Crossover", "Estimate", "Profile", "RidgelineError", "SweepResult",
           "crossover", "estimate", "get_dtype", "get_hardware", "get_model", "hardware_registry",
           "make_op", "models", "op", "profile", "sweep", "total"]


def __getattr__(name: str):
    """``ridgeline.op`` etc.: import :mod:`ridgeline.api` (and numpy) the first time one is used.

    Only the public names load the API; any other name is an AttributeError, so that
    ``from ridgeline import format`` imports just that submodule.
    """
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(".api", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
