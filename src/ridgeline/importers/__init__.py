"""Importers: a user's own PyTorch module or ONNX file -> named ridgeline layers.

    layers = from_torch(model, example_inputs)      # runs the module once (meta device is fine)
    layers = from_onnx("model.onnx")                # reads the graph, infers shapes
    prof = profile_layers(layers, "h100-sxm", "bf16")

Layers sit above the core: core <- recipes <- lab / CLI / importers. torch and onnx are
optional extras (``pip install 'ridgeline[torch]'`` / ``'ridgeline[onnx]'``) imported only
inside the importer functions, so importing this package loads neither.
"""

from __future__ import annotations

from ..dtypes import get_dtype
from ..hardware import get_hardware
from ..ops.base import DEFAULT_MEMORY_MODEL
from ..pipeline import Layer, Profile, run
from .common import ImportedLayers


def from_torch(module, example_inputs, name: str | None = None) -> ImportedLayers:
    """A torch.nn.Module run once on ``example_inputs`` -> its ops as Layers (see torch_import)."""
    from .torch_import import from_torch as _from_torch
    return _from_torch(module, example_inputs, name)


def from_onnx(path_or_model, *, batch: int | None = None, dims: dict | None = None,
              name: str | None = None, max_bytes: int | None = None) -> ImportedLayers:
    """An ONNX file (or ModelProto) -> its nodes as Layers (see onnx_import; ``max_bytes``
    caps a file's graph, default 256 MB or $RIDGELINE_ONNX_MAX_MB)."""
    from .onnx_import import from_onnx as _from_onnx
    return _from_onnx(path_or_model, batch=batch, dims=dims, name=name, max_bytes=max_bytes)


def torch_recipe(spec: str, input_shapes: list[str], meta: bool = False):
    """``PKG.MODULE:FACTORY`` + input shapes -> a Recipe re-traced at any workload (sweeps,
    crossovers; see torch_factory)."""
    from .torch_factory import torch_recipe as _torch_recipe
    return _torch_recipe(spec, input_shapes, meta)


def hf_recipe(path: str):
    """A Hugging Face config.json -> a Recipe built on the meta device (see hf_config)."""
    from .hf_config import hf_recipe as _hf_recipe
    return _hf_recipe(path)


def profile_layers(layers: list[Layer], hardware: str = "h100-sxm", dtype: str = "bf16",
                   memory_model: str = DEFAULT_MEMORY_MODEL, title: str | None = None) -> Profile:
    """Profile any list of Layers (an import) through the same pipeline as ``ridgeline.profile``.

    ``Profile.model`` is ``title`` (default: the import's name). An imported model has fixed
    shapes, so ``Profile.workload`` is None: the batch and lengths are the ones the layers
    were imported with.
    """
    name = title or getattr(layers, "name", None) or "imported"
    return run(list(layers), get_hardware(hardware), get_dtype(dtype), memory_model, title=name)


__all__ = ["ImportedLayers", "from_onnx", "from_torch", "hf_recipe", "profile_layers",
           "torch_recipe"]
