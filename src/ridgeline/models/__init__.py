"""Lighthouse model recipes, looked up by name: ``get_model('llama-3-70b')``."""

from __future__ import annotations

from ..errors import unknown
from .base import SWEEP_PARAMS, Layer, Recipe, Workload

_RECIPES: dict[str, Recipe] = {}


def register(recipe: Recipe) -> Recipe:
    _RECIPES[recipe.key] = recipe
    return recipe


def _load_all():
    # NB: not `if not _RECIPES` - importing one recipe module first (e.g. models.transformer)
    # fills the registry and would hide every other module's recipes.
    from . import transformer  # noqa: F401  (each module registers its recipes)
    for mod in ("cnn", "mobilenet", "tiny"):
        try:
            __import__(f"{__name__}.{mod}")
        except ModuleNotFoundError as exc:  # a recipe module not written yet
            if exc.name != f"{__name__}.{mod}":
                raise


def models() -> dict[str, Recipe]:
    _load_all()
    return dict(_RECIPES)


def get_model(name: str | Recipe) -> Recipe:
    if isinstance(name, Recipe):
        return name
    _load_all()
    key = str(name).strip().lower()
    if key not in _RECIPES:
        raise unknown("model", str(name), _RECIPES)
    return _RECIPES[key]


__all__ = ["SWEEP_PARAMS", "Layer", "Recipe", "Workload", "get_model", "models", "register"]
