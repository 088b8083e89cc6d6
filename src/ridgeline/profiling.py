"""``ridgeline.profile``: a recipe by name, profiled layer by layer on a device.

Resolves the names (model, hardware, dtype) once and hands objects to the one estimate
pipeline (:func:`ridgeline.pipeline.run`), which owns the totals and the capacity check.
"""

from __future__ import annotations

from .dtypes import get_dtype
from .hardware import get_hardware
from .ops.base import DEFAULT_MEMORY_MODEL
from .pipeline import Capacity, Layer, Profile, capacity_of, kv_cache_elements, run
from .recipes import Recipe, get_model
from .recipes.base import check_layers


def profile(model: str | Recipe, hardware=None, dtype=None, memory_model=DEFAULT_MEMORY_MODEL, *,
            layers: list[Layer] | None = None, **workload) -> Profile:
    """Estimate every layer of ``model`` on ``hardware`` (defaults: the recipe's).

    ``workload`` overrides the recipe's default batch, seq_len, phase, resolution, frames,
    flash. ``layers`` replaces the built layers (the lab's design toolkit swaps operators).
    Totals add the layers (x their counts); ``capacity`` checks the footprint.
    """
    recipe = get_model(model)
    hw = get_hardware(recipe.default_hardware if hardware is None else hardware)
    dt = get_dtype(recipe.default_dtype if dtype is None else dtype)
    hw.peak(dt)  # fail early, with the list of supported formats
    w = recipe.workload(**workload)
    built = check_layers(layers) if layers is not None else recipe.build(w)
    return run(built, hw, dt, memory_model, title=recipe.key, workload=w)


__all__ = ["Capacity", "Profile", "capacity_of", "kv_cache_elements", "profile"]
