"""`ridgeline profile MODEL.onnx`: an ONNX file profiled like a built-in model.

The graph is built with onnx.helper (no torch needed): a two-layer MLP with a symbolic batch.
"""

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest

from ridgeline import cli
from ridgeline.importers import from_onnx, profile_layers

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper

D_IN, HIDDEN, D_OUT = 32, 64, 10


@pytest.fixture
def mlp_onnx(tmp_path):
    """x (N, 32) -> Gemm 64 (+ bias) -> Relu -> Gemm 10 (+ bias), N symbolic."""
    w = lambda name, *shape: numpy_helper.from_array(np.zeros(shape, np.float32), name)
    nodes = [helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h"], name="/fc1/Gemm",
                              transB=1),
             helper.make_node("Relu", ["h"], ["a"], name="/act/Relu"),
             helper.make_node("Gemm", ["a", "fc2.weight", "fc2.bias"], ["y"], name="/fc2/Gemm",
                              transB=1)]
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", D_IN])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", D_OUT])],
        [w("fc1.weight", HIDDEN, D_IN), w("fc1.bias", HIDDEN), w("fc2.weight", D_OUT, HIDDEN),
         w("fc2.bias", D_OUT)])
    path = tmp_path / "mlp.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def macs(batch):
    return batch * D_IN * HIDDEN + batch * HIDDEN * D_OUT   # the two Gemms


def test_table(capsys, mlp_onnx):
    rc, out, err = run(capsys, "profile", mlp_onnx)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("mlp.onnx (imported from ONNX, 3 layers) on ")
    assert lines[1].startswith("conventions: dense peak")
    rows = [l.split()[0] for l in lines if l.split() and l.split()[0] in ("fc1", "act", "fc2")]
    assert rows == ["fc1", "act", "fc2"]
    assert any(l.startswith("total: ") for l in lines)
    assert any(l.startswith("capacity: fits on h100-sxm") for l in lines)
    assert "note: symbolic size N set to 1" in out


def test_json_matches_the_python_api(capsys, mlp_onnx):
    rc, out, err = run(capsys, "profile", mlp_onnx, "--batch", 4, "--hardware", "a100-80gb",
                       "--dtype", "fp16", "--json")
    assert rc == 0, err
    d = json.loads(out)
    api = profile_layers(from_onnx(mlp_onnx, batch=4), "a100-80gb", "fp16").to_dict()
    assert d["totals"]["macs"] == api["totals"]["macs"] == macs(4)
    assert [l["name"] for l in d["layers"]] == ["fc1", "act", "fc2"]
    # weights: (32.64 + 64 + 64.10 + 10) parameters x 2 bytes (fp16), each read once
    assert d["totals"]["bytes"]["weights"] == (D_IN * HIDDEN + HIDDEN + HIDDEN * D_OUT + D_OUT) * 2
    assert d["hardware"] == "a100-80gb" and d["dtype"] == "fp16"
    assert d["imported"]["format"] == "onnx" and d["imported"]["unsupported"] == {}


def test_csv(capsys, mlp_onnx):
    rc, out, err = run(capsys, "profile", mlp_onnx, "--batch", 2, "--csv")
    assert rc == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in rows] == ["fc1", "act", "fc2"]
    assert sum(int(r["macs"]) for r in rows) == macs(2)


def _one_error_line(rc, out, err):
    assert rc == 2 and out == ""
    assert err.startswith("ridgeline: error: ") and err.count("\n") == 1
    return err


def test_missing_file(capsys, tmp_path):
    err = _one_error_line(*run(capsys, "profile", tmp_path / "nope.onnx"))
    assert "no such ONNX file" in err


@pytest.mark.parametrize("content", [b"", b"<html>not a model</html>", bytes(range(256))])
def test_malformed_file(capsys, tmp_path, content):
    path = tmp_path / "broken.onnx"
    path.write_bytes(content)
    err = _one_error_line(*run(capsys, "profile", path))
    assert "broken.onnx" in err


def test_onnx_not_installed(capsys, monkeypatch, mlp_onnx):
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` raises ImportError
    err = _one_error_line(*run(capsys, "profile", mlp_onnx))
    assert "pip install 'ridgeline[onnx]'" in err


@pytest.mark.parametrize("flag", [("--seq-len", "128"), ("--phase", "prefill"),
                                  ("--resolution", "64x64"), ("--frames", "2"), ("--flash",)])
def test_shape_options_are_refused(capsys, mlp_onnx, flag):
    err = _one_error_line(*run(capsys, "profile", mlp_onnx, *flag))
    assert flag[0] in err and "only --batch" in err


def test_batch_on_a_fixed_batch_model_is_refused(capsys, tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["y"])]
    x, y = (helper.make_tensor_value_info(n, TensorProto.FLOAT, [3, 4]) for n in "xy")
    graph = helper.make_graph(nodes, "g", [x], [y])
    path = tmp_path / "fixed.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    err = _one_error_line(*run(capsys, "profile", path, "--batch", 8))
    assert "fixed batch" in err


def test_end_to_end_subprocess(mlp_onnx):
    out = subprocess.run([sys.executable, "-m", "ridgeline", "profile", str(mlp_onnx), "--json"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["totals"]["macs"] == macs(1)
