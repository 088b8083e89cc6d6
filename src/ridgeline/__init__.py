"""ridgeline: an arithmetic-intensity laboratory for neural networks.

Intensity = FLOPs / bytes moved; ridge = peak / bandwidth; time = max(FLOPs/peak, bytes/BW).
The core imports only numpy (and the standard library); the lab, CLI and importers sit on top.
The public surface is :mod:`ridgeline.api`, re-exported here.
"""

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
