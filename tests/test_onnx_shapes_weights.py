"""ONNX import: unresolved shapes refused by name, weights through views held once, a fixed
batch equal to the request, --dims on the CLI, and memory bounded by the graph."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper

from ridgeline.cli import main
from ridgeline.errors import RidgelineError
from ridgeline.importers import from_onnx, profile_layers


def _model(nodes, inputs, outputs, inits=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _t(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def _w(name, shape, seed=0):
    return numpy_helper.from_array(
        np.random.default_rng(seed).random(shape, dtype=np.float32), name)


def _untyped_matmul():
    """x -> a custom-domain op no inference knows -> MatMul by a weight: y's shape is lost."""
    nodes = [helper.make_node("Mystery", ["x"], ["h"], name="/enc/Mystery", domain="example"),
             helper.make_node("MatMul", ["h", "w"], ["y"], name="/enc/proj/MatMul")]
    model = _model(nodes, [_t("x", [2, 8])], [_t("y", [2, "n"])], [_w("w", [8, 4])])
    model.opset_import.append(helper.make_opsetid("example", 1))
    return model


def test_work_nodes_without_shapes_are_refused_by_name(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # onnxruntime's failed inference must leave no file here
    with pytest.raises(RidgelineError, match=r"1 of 1 work-carrying nodes \(MatMul: "
                                             r"'/enc/proj/MatMul'\) could not be inferred"):
        from_onnx(_untyped_matmul())
    path = tmp_path / "lost.onnx"
    onnx.save(_untyped_matmul(), path)
    assert main(["profile", str(path)]) == 2  # exit 2, never a near-empty total
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'/enc/proj/MatMul'" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lost.onnx"]  # no sym_shape_infer_temp


def test_a_weight_through_transpose_is_a_weight_and_tied_weights_are_held_once():
    """GPT-2's head: logits = h . wte^T, the same wte the embedding gathers from.
    wte 50 x 16 = 800 elements, held once: params = 800 (not 1,600); the head's MatMul
    reads wte as a weight (800 elements of weight traffic), not as an activation."""
    nodes = [helper.make_node("Gather", ["wte", "ids"], ["h"], name="/wte/Gather"),
             helper.make_node("Transpose", ["wte"], ["wt"], name="/lm_head/Transpose",
                              perm=[1, 0]),
             helper.make_node("MatMul", ["h", "wt"], ["y"], name="/lm_head/MatMul")]
    model = _model(nodes, [_t("ids", [1, 4], TensorProto.INT64)], [_t("y", [1, 4, 50])],
                   [_w("wte", [50, 16])])
    layers = from_onnx(model)
    head = next(l for l in layers if l.name == "lm_head")
    assert head.op.weight_operand and (head.op.m, head.op.n, head.op.k) == (4, 50, 16)
    assert profile_layers(layers).totals.params == 50 * 16


def test_a_fixed_batch_equal_to_the_request_is_accepted():
    model = _model([helper.make_node("MatMul", ["x", "w"], ["y"])], [_t("x", [3, 8])],
                   [_t("y", [3, 4])], [_w("w", [8, 4])])
    assert from_onnx(model, batch=3)[0].op.m == 3
    with pytest.raises(RidgelineError, match=r"fixed batch size \(3\), not 8"):
        from_onnx(model, batch=8)


def test_dims_on_the_cli(tmp_path, capsys):
    """x: [batch, seq, 8] . w [8, 4]: --batch 2 --dims seq=5 -> M = 2 x 5 = 10 rows."""
    model = _model([helper.make_node("MatMul", ["x", "w"], ["y"], name="/proj/MatMul")],
                   [_t("x", ["batch", "seq", 8])], [_t("y", ["batch", "seq", 4])],
                   [_w("w", [8, 4])])
    path = tmp_path / "dyn.onnx"
    onnx.save(model, path)
    assert main(["profile", str(path), "--batch", "2", "--dims", "seq=5", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["totals"]["macs"] == 10 * 8 * 4
    assert main(["profile", str(path), "--dims", "seq"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err


def test_memory_is_bounded_by_the_graph_not_the_weights(tmp_path):
    """A 64 MiB weight (4096 x 4096 float32) stored inline: importing reads its header only.
    The peak resident memory of the import, measured in a fresh process after onnx and
    ridgeline are loaded, stays far below the file's size (measured: ~2-6 MB)."""
    path = tmp_path / "big.onnx"
    model = _model([helper.make_node("Gemm", ["x", "w"], ["y"], name="/fc/Gemm")],
                   [_t("x", [1, 4096])], [_t("y", [1, 4096])], [_w("w", [4096, 4096])])
    onnx.save(model, path)
    del model
    code = textwrap.dedent(f"""
        import resource, warnings, onnx, ridgeline.importers as ri, ridgeline.importers.onnx_import
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        layers = ri.from_onnx({str(path)!r})
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) * 1024, layers[0].op.params())
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    peak, params = int(out[0]), int(out[1])
    assert params == 4096 * 4096
    assert peak < path.stat().st_size / 8  # < 8 MiB for a 64 MiB file
