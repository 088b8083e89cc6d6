"""The ONNX importer on hostile input (issue 6): a size cap on the graph, weights read as
shapes only, shape limits on every node, unsupported ops on one line, malformed files.

Every model here is built in the test and is a few kilobytes; the cap is exercised with a
small ``max_bytes`` rather than a big file.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from ridgeline.errors import MAX_DIM, MAX_ELEMENTS, RidgelineError
from ridgeline.ops import Gemm

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper

from ridgeline.importers import from_onnx, onnx_wire
from ridgeline.importers.common import UnsupportedOpsWarning
from ridgeline.importers.onnx_load import DEFAULT_MAX_MB, ENV_MAX_MB, KEEP_BYTES, cap_bytes


def _model(nodes, inputs, outputs, inits=(), ir_version=None):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    if ir_version is not None:
        m.ir_version = ir_version
    return m


def _t(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def _w(name, shape, dtype=np.float32):
    return onnx.numpy_helper.from_array(np.ones(shape, dtype=dtype), name)


def _linear(width=256, out=512):
    """x [4, width] . w [width, out]: w's values take width * out * 4 bytes."""
    node = helper.make_node("MatMul", ["x", "w"], ["y"], name="/fc/MatMul")
    return _model([node], [_t("x", [4, width])], [_t("y", [4, out])], [_w("w", [width, out])])


def _save(model, path):
    onnx.save(model, path)
    return path


def _one_line_error(call, *args, **kwargs) -> str:
    with pytest.raises(RidgelineError) as err:
        call(*args, **kwargs)
    text = str(err.value)
    assert "\n" not in text and text.strip() == text, text
    return text


# ---------------------------------------------------------------- the size cap


def test_the_wire_reader_keeps_exactly_the_graph_without_large_weights(tmp_path):
    """Known answer: the kept bytes are protobuf's own encoding of the model less w."""
    model = _linear()
    path = _save(model, tmp_path / "m.onnx")
    data, dropped = onnx_wire.read(str(path), 1 << 30, KEEP_BYTES)
    stripped = onnx.ModelProto()
    stripped.CopyFrom(model)
    del stripped.graph.initializer[:]
    assert bytes(data) == stripped.SerializeToString()
    assert [(w.name, w.dims, w.dtype) for w in dropped] == [("w", (256, 512), TensorProto.FLOAT)]
    # 256 * 512 * 4 = 524,288 bytes of values were never copied
    assert os.path.getsize(path) - len(data) > 256 * 512 * 4


def test_graph_over_the_cap_is_one_sentence_naming_size_cap_and_remedy(tmp_path):
    path = _save(_linear(), tmp_path / "m.onnx")
    graph = len(onnx_wire.read(str(path), 1 << 30, KEEP_BYTES)[0])
    text = _one_line_error(from_onnx, path, max_bytes=graph - 1)
    assert f"{graph:,}-byte graph" in text and f"({graph - 1:,} bytes)" in text
    assert "max_bytes=" in text and ENV_MAX_MB in text and str(path) in text
    # at the cap exactly it loads, and the weight (512 KiB inline, far over the cap) counts
    (layer,) = from_onnx(path, max_bytes=graph)
    assert layer.op == Gemm(4, 512, 256, kind="linear") and layer.op.params() == 256 * 512


def test_cap_from_the_environment_and_its_default(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_MAX_MB, raising=False)
    assert cap_bytes() == DEFAULT_MAX_MB * 10**6 == 256_000_000
    monkeypatch.setenv(ENV_MAX_MB, "0.00008")                   # 0.00008 MB = 80 bytes
    assert cap_bytes() == 80 and cap_bytes(5000) == 5000        # the keyword wins
    path = _save(_linear(), tmp_path / "m.onnx")                # an 88-byte graph
    assert "88-byte graph" in _one_line_error(from_onnx, path)
    assert "over the 0.00008 MB cap (80 bytes)" in _one_line_error(from_onnx, path)
    monkeypatch.setenv(ENV_MAX_MB, "lots")
    assert "positive number of megabytes" in _one_line_error(from_onnx, path)
    with pytest.raises(RidgelineError, match="max_bytes"):
        from_onnx(path, max_bytes=-1)


def test_large_weights_are_shapes_only_and_small_ones_keep_their_values(tmp_path):
    """Reshape's target (a 16-byte int64 initializer) is read by shape inference; the float
    weight (4 x 600 x 4 B = 9,600 B > KEEP_BYTES) is not, yet its shape makes the Gemm."""
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["r"]),
             helper.make_node("MatMul", ["r", "w"], ["y"], name="/fc/MatMul")]
    model = _model(nodes, [_t("x", [2, 3, 4])], [_t("y", [6, 600])],
                   [_w("w", [4, 600]), onnx.numpy_helper.from_array(np.array([6, 4]), "shape")])
    (layer,) = from_onnx(_save(model, tmp_path / "m.onnx"))
    assert layer.op == Gemm(6, 600, 4, kind="linear")            # (2*3) x 600, k = 4


def test_an_old_ir_model_with_weights_among_its_inputs(tmp_path):
    """IR < 4 lists every initializer as a graph input too: no duplicate input, same answer."""
    model = _linear()
    model.graph.input.append(_t("w", [256, 512]))
    model.ir_version = 3
    model.opset_import[0].version = 8
    (layer,) = from_onnx(_save(model, tmp_path / "old.onnx"))
    assert layer.op == Gemm(4, 512, 256, kind="linear")


def test_a_large_constant_node_is_counted_as_before_without_its_values(tmp_path):
    """Constant [3000] float (12,000 B): still a skipped Constant, still read by the Add."""
    value = onnx.numpy_helper.from_array(np.ones(3000, np.float32), "v")
    nodes = [helper.make_node("Constant", [], ["c"], value=value),
             helper.make_node("Add", ["x", "c"], ["y"], name="/add/Add")]
    model = _model(nodes, [_t("x", [2, 3000])], [_t("y", [2, 3000])])
    for src in (model, _save(model, tmp_path / "c.onnx")):
        (layer,) = layers = from_onnx(src)
        # 6000 outputs reading x (6000) and c (3000): round(9000 / 6000) = 2 reads each
        assert (layer.op.elements, layer.op.reads, layer.op.weights) == (6000, 2, 0)
        assert layers.skipped == {"Constant": 1}


def test_a_long_vector_is_not_expanded_by_data_propagation(tmp_path):
    """ONNX's data propagation holds a 1-D tensor as one proto per element (an Add of two
    [4e6] vectors took 0.8 GB); past DATA_PROP_MAX shapes are inferred without it. It runs
    only when the first pass leaves a shape unknown (here Reshape(a, Shape(a)))."""
    n = 5_000_000
    nodes = [helper.make_node("Add", ["x", "c"], ["y"], name="/add/Add")]
    ins = [_t("x", [n], TensorProto.INT64), _t("c", [n], TensorProto.INT64)]
    model = _model(nodes, ins, [_t("y", [n], TensorProto.INT64)])
    layers = from_onnx(model)
    assert layers[0].op.elements == n and layers.notes == []  # all known: no propagation
    nodes += [helper.make_node("Shape", ["a"], ["s"]), helper.make_node("Reshape", ["a", "s"], ["r"])]
    model = _model(nodes, [*ins, _t("a", [2, 3])], [_t("y", [n], TensorProto.INT64), _t("r", ["r0", "r1"])])
    layers = from_onnx(model)
    assert layers[0].op.elements == n and "5,000,000 elements" in layers.notes[0]


def test_external_weights_must_lie_beside_the_model_and_be_long_enough(tmp_path):
    path = tmp_path / "ext.onnx"
    onnx.save(_linear(), path, save_as_external_data=True, location="w.bin", size_threshold=0)
    (layer,) = from_onnx(path)
    assert layer.op.params() == 256 * 512
    with open(tmp_path / "w.bin", "r+b") as f:
        f.truncate(1000)                                  # 524,288 bytes were written
    assert "shorter" in _one_line_error(from_onnx, path)
    model = onnx.load(path, load_external_data=False)
    for e in model.graph.initializer[0].external_data:
        if e.key == "location":
            e.value = "../outside.bin"
    onnx.save(model, tmp_path / "escape.onnx")
    assert "outside the model's folder" in _one_line_error(from_onnx, tmp_path / "escape.onnx")


# ---------------------------------------------------------------- shape limits


def _out(rank):
    """A graph output of ``rank`` symbolic dimensions (shape inference fills them in)."""
    return _t("y", [f"d{i}" for i in range(rank)])


def _conv(x_shape):
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="/stem/Conv")
    return _model([node], [_t("x", x_shape)], [_out(4)], [_w("w", [8, 3, 3, 3])])


def test_an_absurd_conv_input_is_one_error_naming_the_node(tmp_path):
    """[1, 3, 1e9, 1e9]: each dimension is allowed (<= MAX_DIM) but 3e18 elements are not."""
    text = _one_line_error(from_onnx, _save(_conv([1, 3, 10**9, 10**9]), tmp_path / "c.onnx"))
    assert "node '/stem/Conv' (Conv)" in text and f"{3 * 10**18:,} elements" in text
    assert f"{MAX_ELEMENTS:,}" in text
    text = _one_line_error(from_onnx, _conv([1, 3, MAX_DIM + 1, 4]))
    assert "node '/stem/Conv' (Conv) input 'x' dimension 2" in text and "1,000,000,001" in text


@pytest.mark.parametrize("op,inputs,inits", [
    ("Relu", [[10**8, 10**8]], []),                              # 1e16 elements
    ("MatMul", [[10**8, 10**8]], [("w", [10**8, 1])]),
    ("Softmax", [[2, 10**9, 10**9]], []),
    ("ReduceMean", [[10**9, 10**9]], []),
])
def test_every_op_kind_checks_its_shapes(op, inputs, inits):
    names = [f"i{k}" for k in range(len(inputs))] + [n for n, _ in inits]
    node = helper.make_node(op, names, ["y"], name=f"/blk/{op}")
    weights = [TensorProto(name=n, data_type=TensorProto.FLOAT, dims=s) for n, s in inits]
    for w in weights:  # shapes without values: a declared, never-materialised weight
        w.data_location = TensorProto.EXTERNAL
        w.external_data.add(key="location", value="w.bin")
    model = _model([node], [_t(n, s) for n, s in zip(names, inputs)], [_out(len(inputs[0]))],
                   weights)
    text = _one_line_error(from_onnx, model)
    assert f"node '/blk/{op}' ({op})" in text and "elements" in text


def test_a_broken_attribute_is_one_error_naming_the_node():
    """strides [0, 0] divides by zero in 'same' padding: reported, not a traceback."""
    node = helper.make_node("MaxPool", ["x"], ["y"], name="/pool/MaxPool", kernel_shape=[2, 2],
                            strides=[1, 1], pads=[0, 0, 0, 0], dilations=[1, 1])
    model = _model([node], [_t("x", [1, 4, 8, 8])], [_out(4)])
    from ridgeline.importers import onnx_import
    g = onnx_import._Graph(onnx, onnx.shape_inference.infer_shapes(model), {}, {})
    node.ClearField("attribute")
    node.attribute.extend([helper.make_attribute("kernel_shape", [2, 2]),
                           helper.make_attribute("auto_pad", "SAME_UPPER"),
                           helper.make_attribute("strides", [0, 0])])
    with pytest.raises(RidgelineError, match=r"node '/pool/MaxPool' \(MaxPool\).*Division"):
        g.map(node, 0)


# ---------------------------------------------------------------- unsupported ops


def _with_unsupported(include_matmul=True):
    k = onnx.numpy_helper.from_array(np.array([2]), "k")
    axis = onnx.numpy_helper.from_array(np.array(0), "axis")
    nodes = [helper.make_node("CumSum", ["x", "axis"], ["c1"]),
             helper.make_node("CumSum", ["c1", "axis"], ["c2"]),
             helper.make_node("TopK", ["c2", "k"], ["v", "i"])]
    if include_matmul:
        nodes.append(helper.make_node("MatMul", ["v", "w"], ["y"], name="/fc/MatMul"))
        out, inits = [_t("y", [4, 3])], [k, axis, _w("w", [2, 3])]
    else:
        out, inits = [_t("v", [4, 2])], [k, axis]
    return _model(nodes, [_t("x", [4, 8])], out, inits)


def test_unsupported_ops_are_one_line_and_one_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = from_onnx(_with_unsupported(), name="net")
    assert layers.unsupported == {"CumSum": 2, "TopK": 1}
    summary = "not modelled (counted as zero cost): CumSum x2, TopK"
    assert layers.unsupported_summary == summary and layers.unsupported_lines == [summary]
    assert len(caught) == 1 and caught[0].category is UnsupportedOpsWarning
    assert str(caught[0].message) == f"net: {summary}"
    assert [layer.name for layer in layers] == ["fc"]


def test_a_model_of_only_unsupported_ops_is_an_error_naming_them():
    text = _one_line_error(from_onnx, _with_unsupported(include_matmul=False))
    assert "no operator ridgeline can count" in text and "CumSum x2, TopK" in text


# ---------------------------------------------------------------- malformed files


def _truncated():
    full = _linear().SerializeToString()
    return full[: len(full) // 2]


@pytest.mark.parametrize("content,why", [
    (b"", "empty"),
    (b"not an onnx file at all\n", "wire type"),
    (b"\x08\x07", "no graph"),                  # a valid message: ir_version = 7, nothing else
    (b"\x3a\x7f\x0a", "truncated"),             # graph field claims 127 bytes, has 1
    (None, "truncated"),
])
def test_malformed_files_are_one_line_errors(tmp_path, content, why):
    path = tmp_path / "bad.onnx"
    path.write_bytes(_truncated() if content is None else content)
    text = _one_line_error(from_onnx, path)
    assert str(path) in text and why in text


def test_a_directory_or_a_missing_path(tmp_path):
    assert "is a directory" in _one_line_error(from_onnx, tmp_path)
    assert "no such ONNX file" in _one_line_error(from_onnx, tmp_path / "nope.onnx")
