"""Parameters held once: tied and carried weights (docs/formulas.md §19).

A weight used by two layers (GPT-2's token embedding and its output projection share one
matrix) is *read* by both - each layer's traffic counts it - but *held* once: the model's
parameter count and the capacity check must count its storage once. The reverse also
happens: a parameter that reaches an operator through a copy (ViT's class token through
``cat``, a relative-position table through ``index``) is held by the model although the
operator sees it as an activation. :func:`with_held` adjusts an operator's ``params()`` by
such a correction and leaves every other figure unchanged.
"""

from __future__ import annotations

import dataclasses
from functools import cache

from ..errors import RidgelineError, check_op


def with_held(op, held: int):
    """``op`` with ``params() = op.params() + held`` (held < 0: elements another layer
    already holds; > 0: parameters it uses through a copy). ``held = 0`` returns ``op``."""
    check_op(op)
    if not held:
        return op
    if not dataclasses.is_dataclass(op):
        raise RidgelineError(f"{type(op).__name__} is not a dataclass operator")
    base = getattr(type(op), "_held_base", type(op))
    total = int(held) + int(getattr(op, "held", 0))
    fields = {f.name: getattr(op, f.name) for f in dataclasses.fields(base) if f.init}
    return _held_class(base)(**fields, held=total) if total else base(**fields)


@cache
def _held_class(base: type) -> type:
    def params(self):
        return base.params(self) + self.held

    cls = dataclasses.make_dataclass(
        f"Held{base.__name__}", [("held", int, dataclasses.field(default=0))], bases=(base,),
        frozen=True, namespace={"params": params, "_held_base": base})
    cls.__doc__ = (f"{base.__name__} whose params() is corrected by ``held`` elements: tied "
                   "weights counted once, weights used through a copy counted "
                   "(docs/formulas.md §19).")
    cls.__module__ = __name__
    return cls


__all__ = ["with_held"]
