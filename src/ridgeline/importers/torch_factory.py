"""``--torch PKG.MODULE:FACTORY``: a user's factory function -> a Recipe.

The factory is imported from the current directory or the installed packages and called with
no arguments; it returns a ``torch.nn.Module`` (built on the meta device with ``--meta``).
``--input-shape 1x3x224x224`` (one per input, ``:int64`` for token ids) gives the example
inputs. Rebuilding at another workload scales the inputs: the batch is every input's first
axis, the sequence length the second axis of a 3-D input or of a 2-D integer one (token ids;
a 2-D float input's second axis is its features, left alone), the resolution the last two
axes of a 4-D one - so ``sweep`` and ``ridge`` work on the factory's model too.
"""

from __future__ import annotations

import importlib
import os
import sys

from ..errors import RidgelineError
from ..recipes import Workload
from .adapter import imported_recipe

DTYPES = {"float32": "float32", "float": "float32", "float16": "float16", "bfloat16": "bfloat16",
          "int64": "int64", "long": "int64", "int32": "int32", "bool": "bool"}


def parse_shape(text: str) -> tuple[tuple[int, ...], str]:
    """'1x3x224x224' -> ((1, 3, 224, 224), 'float32'); '2x128:int64' -> ((2, 128), 'int64')."""
    dims, _, dtype = text.partition(":")
    dtype = dtype.strip().lower() or "float32"
    if dtype not in DTYPES:
        raise RidgelineError(f"unknown input dtype {dtype!r}; choose one of: {', '.join(DTYPES)}")
    try:
        shape = tuple(int(d) for d in dims.lower().replace("×", "x").split("x"))
    except ValueError:
        raise RidgelineError(f"an input shape is sizes joined by x (1x3x224x224), "
                             f"got {text!r}") from None
    if not shape or min(shape) < 1:
        raise RidgelineError(f"an input shape needs sizes of at least 1, got {text!r}")
    return shape, DTYPES[dtype]


def load_factory(spec: str):
    """'pkg.module:factory' -> the callable (the current directory is searched first)."""
    mod, sep, attr = spec.partition(":")
    if not sep or not mod or not attr:
        raise RidgelineError(f"--torch takes PKG.MODULE:FACTORY, got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        factory = getattr(importlib.import_module(mod), attr)
    except (ImportError, AttributeError) as exc:
        raise RidgelineError(f"cannot load {spec}: {exc}") from None
    if not callable(factory):
        raise RidgelineError(f"{spec} is not callable")
    return factory


def torch_recipe(spec: str, shapes: list[str], meta: bool = False):
    """A Recipe for ``spec``'s module traced on inputs of ``shapes`` (see the module doc)."""
    if not shapes:
        raise RidgelineError("--torch needs the model's inputs: --input-shape 1x3x224x224 "
                             "(one per input; :int64 for token ids)")
    source = _Factory(load_factory(spec), [parse_shape(s) for s in shapes], meta)
    params, default = source.scaling()
    return imported_recipe(spec, spec, source, params, default, f"{spec} (PyTorch factory)")


class _Factory:
    def __init__(self, factory, shapes, meta: bool):
        self.factory, self.shapes, self.meta = factory, shapes, meta
        self._module, self.last = None, None

    def scaling(self) -> tuple[tuple, Workload]:
        """The sweep parameters the inputs allow and the workload they describe."""
        first = self.shapes[0][0]
        seq = next((s[1] for s, dtype in self.shapes if _has_seq(s, dtype)), None)
        img = next((s for s, _ in self.shapes if len(s) == 4), None)
        params = ("batch",) + (("seq-len",) if seq else ()) + (("resolution",) if img else ())
        return params, Workload(batch=first[0], seq_len=seq or 1, phase="prefill",
                                resolution=(img[3], img[2]) if img else (1, 1))

    def module(self):
        if self._module is None:
            import torch
            with torch.device("meta" if self.meta else "cpu"):
                try:
                    made = self.factory()
                except Exception as exc:  # the user's code: one line
                    raise RidgelineError(f"the factory failed: {type(exc).__name__}: "
                                         f"{' '.join(str(exc).split())}") from exc
            if not isinstance(made, torch.nn.Module):
                raise RidgelineError(f"the factory returned {type(made).__name__}, not a "
                                     "torch.nn.Module")
            self._module = made.eval()
        return self._module

    def trace(self, w: Workload):
        import warnings

        import torch

        from . import from_torch
        inputs = []
        for shape, dtype in self.shapes:
            shape = _scaled(shape, dtype, w)
            inputs.append(torch.zeros(shape, dtype=getattr(torch, dtype),
                                      device="meta" if self.meta else "cpu"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.last = from_torch(self.module(), tuple(inputs), name=type(self.module()).__name__)
        return self.last


def _has_seq(shape: tuple, dtype: str) -> bool:
    """[B, T, D], or [B, T] token ids: the second axis is the sequence."""
    return len(shape) == 3 or len(shape) == 2 and dtype.startswith("int")


def _scaled(shape: tuple, dtype: str, w: Workload) -> tuple:
    s = list(shape)
    s[0] = w.batch
    if _has_seq(shape, dtype):
        s[1] = w.seq_len
    if len(s) == 4:
        s[2], s[3] = w.resolution[1], w.resolution[0]
    return tuple(s)
