"""Lighthouse model recipes, looked up by name: ``get_model('llama-3-70b')``."""

from __future__ import annotations

from ..errors import unknown
from .base import SWEEP_PARAMS, Layer, Recipe, Workload

_RECIPES: dict[str, Recipe] = {}


def register(recipe: Recipe) -> Recipe:
    _RECIPES[recipe.key] = recipe
    return recipe


def _load_all():
    # Every recipe module registers its recipes on import; a module that fails to import is
    # an error (never a silently shorter registry).
    from . import cnn, mobilenet, tiny, transformer  # noqa: F401


def models() -> dict[str, Recipe]:
    """Every recipe, keyed by name."""
    _load_all()
    return dict(_RECIPES)


def get_model(name: str | Recipe) -> Recipe:
    """A recipe by name (case-insensitive); RidgelineError listing the names if unknown."""
    if isinstance(name, Recipe):
        return name
    _load_all()
    if not isinstance(name, str):
        raise unknown("model", repr(name), _RECIPES)
    key = name.strip().lower()
    if key not in _RECIPES:
        raise unknown("model", name, _RECIPES)
    return _RECIPES[key]


__all__ = ["SWEEP_PARAMS", "Layer", "Recipe", "Workload", "get_model", "models", "register"]
