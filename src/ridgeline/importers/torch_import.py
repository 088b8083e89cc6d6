"""PyTorch module -> ridgeline layers, by running it once and watching the aten ops.

The machinery (module scopes, the dispatch and function modes, parameters held once) is in
:mod:`.torch_trace`; aten op -> operator in :mod:`.torch_aten` and :mod:`.torch_more`; matmul
attention recognised in :mod:`.torch_attention`. torch is imported inside the functions only:
importing ridgeline.importers costs nothing.
"""

from __future__ import annotations

from ..errors import RidgelineError
from . import common
from .torch_aten import FUSED, record
from .torch_attention import NOTE, fold_attention
from .torch_trace import Tracer, module_scopes


def from_torch(module, example_inputs, name: str | None = None) -> common.ImportedLayers:
    """Run ``module(*example_inputs)`` once and return its ops as named ridgeline Layers.

    ``example_inputs``: a tensor or a tuple of them (a dict is passed as keyword
    arguments). Put module and inputs on the meta device (``with torch.device("meta")``)
    to trace a large model with no memory and no arithmetic. Runs under
    ``torch.no_grad()``; what the module computes is what gets counted (call ``.eval()``
    first for inference). Each parameter's storage is held once (tied weights). Ops
    ridgeline does not model are listed in ``.unsupported`` and issued as one warning.
    """
    import torch

    if not isinstance(module, torch.nn.Module):
        raise RidgelineError(f"from_torch needs a torch.nn.Module, got {type(module).__name__}")
    args, kwargs = _split_inputs(example_inputs)
    tracer = Tracer(module)
    with module_scopes(module, tracer.scopes), torch.no_grad(), tracer.modes(record, FUSED):
        try:
            module(*args, **kwargs)
        except RidgelineError:
            raise
        except Exception as exc:  # the user's model or inputs: one line, the cause kept
            raise RidgelineError(f"running {type(module).__name__} failed: "
                                 f"{type(exc).__name__}: {' '.join(str(exc).split())}") from exc
    return _layers(tracer, name or type(module).__name__).warn()


def _layers(tracer: Tracer, name: str) -> common.ImportedLayers:
    records, found = fold_attention(tracer.records)
    notes = [NOTE.format(n=found)] if found else []
    layers = common.ImportedLayers(
        common.name_layers(records), name=name, source="torch",
        unsupported=tracer.unsupported, skipped=tracer.skipped, notes=notes)
    if not layers:
        what = f": {common.listing(layers.unsupported)}" if layers.unsupported else ""
        raise RidgelineError(f"{name} ran no operator ridgeline can count{what}")
    return layers


def _split_inputs(example_inputs):
    if isinstance(example_inputs, dict):
        return (), example_inputs
    if isinstance(example_inputs, (tuple, list)):
        return tuple(example_inputs), {}
    return (example_inputs,), {}


__all__ = ["from_torch"]
