"""ridgeline: an arithmetic-intensity laboratory for neural networks.

Intensity = FLOPs / bytes moved; ridge = peak / bandwidth; time = max(FLOPs/peak, bytes/BW).
The core imports only numpy (and the standard library); the lab, CLI and importers sit on top.
"""

from .api import make_op, op
from .dtypes import DTYPES, get_dtype
from .errors import RidgelineError
from .hardware import get_hardware
from .hardware import registry as hardware_registry
from .models import get_model, models
from .profile import Profile, profile
from .roofline import Estimate, estimate, total
from .sweep import Crossover, SweepResult, crossover, sweep

ridge = crossover  # the CLI's name for the crossover solver

__version__ = "0.1.0"
__all__ = ["DTYPES", "Crossover", "Estimate", "Profile", "RidgelineError", "SweepResult",
           "crossover", "estimate", "get_dtype", "get_hardware", "get_model", "hardware_registry",
           "make_op", "models", "op", "profile", "ridge", "sweep", "total"]
