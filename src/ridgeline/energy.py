"""Energy per operation by precision (Horowitz ISSCC 2014, S22) - see data/energy.toml.

E = FLOPs . e_op(dtype) + sum over memory levels of bytes_level . e_byte(level)   (DATA.md D.6)
"""

from __future__ import annotations

from functools import lru_cache

from .dtypes import DType, get_dtype
from .hardware import Figure, _read_toml


@lru_cache(maxsize=1)
def _per_flop() -> dict[str, Figure]:
    return {k: Figure.parse(v) for k, v in _read_toml("energy.toml")["per_flop"].items()}


def energy_per_flop(dtype: str | DType) -> Figure:
    """Joules per FLOP (or integer op) at ``dtype``."""
    return _per_flop()[get_dtype(dtype).name]


def energy_ridge(dtype: str | DType, energy_per_byte: float) -> float:
    """Intensity below which moving bytes costs more energy than computing: e_byte / e_flop."""
    return energy_per_byte / energy_per_flop(dtype).value
