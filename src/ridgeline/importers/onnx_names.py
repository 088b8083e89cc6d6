"""Layer names for ONNX nodes: the PyTorch module that produced each node.

Both of PyTorch's exporters record the module path, in different places:

* TorchScript (``torch.onnx.export(..., dynamo=False)``) writes it into the node's name,
  one scope per module: ``/layer1/layer1.0/conv1/Conv``, ``/encoder/layer.0/attention/...``;
* dynamo (the default since torch 2.9) names nodes ``node_linear_3`` and keeps the scopes in
  ``node.metadata_props["pkg.torch.onnx.name_scopes"]``: ``['', 'encoder.layer.0', ...,
  'encoder.layer.0.attention.self.query', 'linear_3']`` (module paths from the root, then
  the op's own name).

A conv whose BatchNorm the exporter folded into it may carry the BatchNorm's scope
(dynamo's ``bn1`` for ``conv1``); its weight keeps the conv's name (``conv1.weight``), so
when that name is a sibling module of the scope the weight's module names the layer.
"""

from __future__ import annotations

import ast

SCOPES_KEY = "pkg.torch.onnx.name_scopes"
#: Nodes whose weight's module names them when the exporter's scope is a sibling (see above).
NAMED_BY_WEIGHT = {"Conv", "ConvTranspose", "Gemm"}


def module_path(node_name: str) -> str:
    """'/layer1/layer1.0/conv1/Conv' -> 'layer1.0.conv1' (the TorchScript exporter's scopes).

    A scope is a child's attribute name (``conv1``), or a container's child written as the
    container's name, a dot and the child's (``layer1.0`` under ``layer1``, ``downsample.0``
    under ``downsample``, ``layer.0`` for a ModuleList ``layer``); the last part is the op.
    """
    parts = [p for p in node_name.split("/") if p]
    if len(parts) < 2 or not node_name.startswith("/"):
        return ""
    path, prev = "", ""
    for scope in parts[:-1]:
        if prev and scope.startswith(prev + "."):
            path += scope[len(prev):]       # 'layer1' then 'layer1.0': the child '0'
        else:
            path = f"{path}.{scope}" if path else scope
        prev = scope
    return path


def scope_path(node) -> str:
    """The module path of ``node``: dynamo's name scopes if present, else its name's scopes."""
    for prop in node.metadata_props:
        if prop.key == SCOPES_KEY:
            return _dynamo_path(prop.value)
    return module_path(node.name)


def _dynamo_path(value: str) -> str:
    """"['', 'encoder', 'encoder.layer.0', 'linear']" -> 'encoder.layer.0' (last module)."""
    try:
        scopes = ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return ""
    if not isinstance(scopes, (list, tuple)) or len(scopes) < 2:
        return ""
    modules = [s for s in scopes[:-1] if isinstance(s, str)]
    if not modules or modules[0] != "":
        return ""  # '_empty_nn_module_stack...': exporter bookkeeping, not a module
    return modules[-1]


def layer_path(node, weight_name: str | None) -> str:
    """scope_path(node), or the module named by its weight when that is the scope's sibling."""
    path = scope_path(node)
    if node.op_type not in NAMED_BY_WEIGHT or not weight_name:
        return path
    module, _, leaf = weight_name.rpartition(".")
    if leaf != "weight" or not module or module == path:
        return path
    if _parent(module) == _parent(path):
        return module
    return path


def _parent(path: str) -> str:
    return path.rpartition(".")[0]
