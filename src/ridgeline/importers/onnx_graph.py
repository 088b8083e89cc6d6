"""The state of one walk over an ONNX graph: shapes, weights, records, weights held once.

Weights are the initializers, and every tensor that is one of them seen through a view:
``Transpose``, ``Reshape``, ``Cast``, ``Identity``, ``(Un)Squeeze``, ``Flatten`` (GPT-2's
``lm_head`` multiplies by ``Transpose(wte)``; a quantised or fp16 export casts its weights).
Each such tensor keeps its *root* initializer, so a weight used by two layers (tied
embeddings) is held once: the second layer's ``params()`` is lowered by the elements the
first already holds (:func:`ridgeline.ops.held.with_held`, docs/formulas.md §19). A weight
that reaches the arithmetic only through a copy (ViT's class token through ``Expand`` and
``Concat``) is held by the next layer recorded, as the torch importer holds it.

A MatMul by a weight followed by ``Add`` of a bias row of its width (how the TorchScript and
dynamo exporters write ``nn.Linear`` on a 3-D input) is one linear layer with its bias, as
torch's ``aten.linear`` is.
"""

from __future__ import annotations

from collections import Counter
from math import prod

from ..errors import RidgelineError
from ..ops import Gemm
from ..ops.held import with_held
from . import common, onnx_load
from .onnx_infer import known_shapes
from .onnx_names import layer_path
from .onnx_shapes import check_node_shapes, node_label

#: Nodes whose output is their first input's values, rearranged or retyped.
WEIGHT_VIEWS = {"Transpose", "Reshape", "Cast", "CastLike", "Identity", "Squeeze", "Unsqueeze",
                "Flatten"}


#: TensorProto element types of shapes and indices: INT32, INT64, BOOL, UINT32, UINT64.
INDEX_TYPES = {6, 7, 9, 12, 13}


def _index_typed(graph) -> set:
    """Names of the initializers (kept, or turned into inputs) holding indices or shapes."""
    out = {t.name for t in graph.initializer if t.data_type in INDEX_TYPES}
    return out | {i.name for i in graph.input if i.type.HasField("tensor_type")
                  and i.type.tensor_type.elem_type in INDEX_TYPES}


class Graph:
    """Shapes, weights and the records built while walking the nodes."""

    def __init__(self, onnx, model, weights: dict, skipped: Counter):
        self.weights = dict(weights)  # initializers' shapes, whether or not their values were read
        self.shapes = {**known_shapes(model), **self.weights}
        # tensor -> its initializer; a scalar (1/sqrt(d), an epsilon) or an index/shape tensor
        # (int32/int64/bool) is a constant, not a weight
        ints = _index_typed(model.graph)
        self.roots = {name: name for name, shape in self.weights.items()
                      if prod(shape) > 1 and name not in ints}
        self.records, self.held, self.notes = [], [], []
        self.holding: set = set()   # roots some layer holds already
        self.carried = 0            # weight elements reached through a copy, not yet held
        self.linear_out: dict = {}  # MatMul output -> its record's index (for the bias's Add)
        self.unsupported: Counter = Counter()
        self.skipped: Counter = Counter(skipped)
        self.helper = onnx.helper

    def shape(self, name):
        return self.shapes.get(name) if name else None

    def attrs(self, node) -> dict:
        return {a.name: self.helper.get_attribute_value(a) for a in node.attribute}

    def is_weight(self, name) -> bool:
        return name in self.roots

    def weight_shape(self, name):
        return self.shapes.get(name) if name in self.roots else None

    def weight_elems(self, names) -> int:
        return sum(prod(self.shapes[n]) for n in names if n in self.roots and n in self.shapes)

    def map(self, node, index: int, handlers: dict, pointwise: dict, layout: set) -> None:
        """Record ``node``: a view of a weight, a bias, a handled op, layout or unsupported."""
        op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
        if op in WEIGHT_VIEWS and node.input and self.is_weight(node.input[0]):
            self.roots.update((out, self.roots[node.input[0]]) for out in node.output if out)
            self.skipped[op] += 1
            return
        if op == "Add" and self._fold_bias(node):
            return
        handler = handlers.get(op) or (handlers["<pointwise>"] if op in pointwise else None)
        if handler is None:
            self._not_counted(node, op, op in layout)
            return
        ins = [self.shape(n) for n in node.input]
        outs = [self.shape(n) for n in node.output]
        if any(s is None for s in [s for n, s in zip(node.input, ins) if n] + outs[:1]):
            self.unsupported[f"{op} (unknown shape)"] += 1
            return
        label = node_label(node, index)
        check_node_shapes(label, node, ins, outs)
        self._append(node, self.run(label, handler, node, ins, outs))

    def _not_counted(self, node, op, layout: bool) -> None:
        """A layout op (a weight it copies is carried to the next layer) or an unsupported one."""
        if layout:
            self.skipped[op] += 1
            self.carry(node.input)
        else:
            self.unsupported[op] += 1

    def carry(self, names) -> None:
        """Weights copied into an activation: held by the next layer recorded (if not yet)."""
        for root in {self.roots[n] for n in names if n in self.roots} - self.holding:
            self.holding.add(root)
            self.carried += prod(self.weights[root])

    def _append(self, node, records) -> None:
        if not records:
            return
        weights = [n for n in node.input if n in self.roots]
        roots = [self.roots[n] for n in weights]
        again = sum(prod(self.shapes.get(n, ())) for n, r in zip(weights, roots)
                    if r in self.holding)
        self.holding.update(roots)
        path = layer_path(node, self.roots.get(node.input[1]) if len(node.input) > 1 else None)
        for i, (short, rop, count) in enumerate(records):
            if i == 0 and isinstance(rop, Gemm) and rop.weight_operand and not rop.bias:
                self.linear_out[node.output[0]] = len(self.records)
            self.records.append((path, short, rop, count))
            self.held.append(self.carried - again if i == 0 else 0)
        self.carried = 0

    def _fold_bias(self, node) -> bool:
        """Add(MatMul-by-weight output, bias of width N) -> that linear with its bias."""
        if len(node.input) != 2:
            return False
        for out, bias in (node.input, node.input[::-1]):
            i = self.linear_out.get(out)
            shape = self.weight_shape(bias)
            if i is not None and shape is not None and prod(shape) == self.records[i][2].n:
                scope, short, op, count = self.records[i]
                self.records[i] = (scope, short, common.linear_with_bias(op), count)
                if self.roots[bias] in self.holding:
                    self.held[i] -= prod(shape)
                self.holding.add(self.roots[bias])
                del self.linear_out[out]
                return True
        return False

    def run(self, label, handler, node, ins, outs) -> list:
        """The handler's records; any failure is one RidgelineError naming the node.

        Shapes are checked before (check_node_shapes) and the ops check their own sizes, so
        what remains is an attribute no exporter writes (a zero stride, a kernel longer than
        its list): a malformed file, reported as such rather than as a traceback.
        """
        try:
            return list(handler(self, node, ins, outs, self.attrs(node)) or ())
        except RidgelineError as exc:
            raise RidgelineError(f"{label}: {exc}") from None
        except (ArithmeticError, IndexError, KeyError, TypeError, ValueError) as exc:
            raise RidgelineError(f"{label} cannot be read ({type(exc).__name__}: "
                                 f"{onnx_load.line(exc)})") from None

    def final_records(self) -> list:
        """The records with each layer's held correction applied (weights held once)."""
        return [(scope, short, with_held(op, held) if held else op, count)
                for (scope, short, op, count), held in zip(self.records, self.held)]
