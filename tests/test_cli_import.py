"""What the CLI imports, and `ridgeline profile MODEL.onnx` (an ONNX file profiled like a built-in model).

First: ``ridgeline --help`` (every subcommand's too) and a rejected argument load no numpy, in a
fresh interpreter; the handlers reach the engine only through ``ridgeline.api``. Then the ONNX
path: the graph is built with onnx.helper (no torch needed): a two-layer MLP with a symbolic batch.
"""

import ast
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ridgeline import cli
from ridgeline.importers import from_onnx, profile_layers

CLI_DIR = Path(cli.__file__).parent

# ---------------------------------------------------------------- what the CLI imports


def _modules_loaded(*argv) -> set[str]:
    """``python -X importtime -m ridgeline ARGV`` in a fresh interpreter -> the modules it
    imported (every import is listed on stderr, so numpy cannot hide in a lazy corner)."""
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "ridgeline", *argv],
                       capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode in (0, 2), p.stderr[-2000:]
    loaded = {line.split("|")[-1].strip() for line in p.stderr.splitlines()
              if line.startswith("import time:")}
    assert "ridgeline.cli.parser" in loaded  # the listing really is there
    return loaded


HELP_PATHS = [["--help"], ["--version"], ["lab", "--help"], ["hardware", "--help"],
              ["op", "--help"], ["op", "gemm", "--help"], ["op", "conv2d", "--help"],
              ["op", "attention", "--help"], ["profile", "--help"], ["sweep", "--help"],
              ["ridge", "--help"],
              # rejected by the parser: the error, too, is printed without the engine
              ["op", "gemm", "--m", "nan", "--n", "1", "--k", "1"],
              ["op", "gemm", "--m", "1", "--n", "1", "--k", "1", "--hardware", ""]]


@pytest.mark.parametrize("argv", HELP_PATHS, ids=" ".join)
def test_help_and_parse_errors_load_no_numpy(argv):
    loaded = _modules_loaded(*argv)
    assert not {m for m in loaded if m.split(".")[0] == "numpy"}
    assert "ridgeline.api" not in loaded


def test_a_command_does_load_the_engine():
    """The check above can fail: running a command imports numpy through ridgeline.api."""
    loaded = _modules_loaded("op", "gemm", "--m", "8", "--n", "8", "--k", "8")
    assert "numpy" in loaded and "ridgeline.api" in loaded


def test_importing_every_cli_module_loads_no_numpy():
    mods = sorted(f"ridgeline.cli.{p.stem}" for p in CLI_DIR.glob("*.py") if p.stem != "__init__")
    assert {"ridgeline.cli.parser", "ridgeline.cli.commands"} <= set(mods)
    code = (f"import sys, {', '.join(mods)}\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'numpy'))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       check=True)
    assert p.stdout.strip() == "[]"


#: What the CLI may import from the rest of ridgeline: the public API (the engine), the
#: formatters, the version, the importers (an .onnx MODEL), the lab's server (`lab`) and the
#: measurement (`measure`), the chart writer (`--plot`), and Part 3's answer key (`challenge`:
#: lab.challenge, lab.tracks and the trade-off note of lab.tradeoff).
ALLOWED_FROM_RIDGELINE = {"api", "format", "importers", "lab.server", "lab.challenge", "lab.tracks",
                          "lab.tradeoff",
                          "measure", "plot", ""}


@pytest.mark.parametrize("path", sorted(CLI_DIR.glob("*.py")), ids=lambda p: p.name)
def test_the_cli_reaches_the_engine_only_through_the_api(path):
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level >= 2:
            assert (node.module or "") in ALLOWED_FROM_RIDGELINE, f"{path.name}: {node.module}"
            if node.module is None:  # `from .. import X`
                assert {a.name for a in node.names} <= {"format", "__version__"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            assert not (node.module or "").startswith("ridgeline"), f"{path.name}: {node.module}"


# ---------------------------------------------------------------- profile an ONNX file

D_IN, HIDDEN, D_OUT = 32, 64, 10


@pytest.fixture
def onnx():
    return pytest.importorskip("onnx")


@pytest.fixture
def mlp_onnx(tmp_path, onnx):
    """x (N, 32) -> Gemm 64 (+ bias) -> Relu -> Gemm 10 (+ bias), N symbolic."""
    helper, TensorProto = onnx.helper, onnx.TensorProto
    w = lambda name, *shape: onnx.numpy_helper.from_array(np.zeros(shape, np.float32), name)
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


def test_missing_file(capsys, tmp_path, onnx):
    err = _one_error_line(*run(capsys, "profile", tmp_path / "nope.onnx"))
    assert "no such ONNX file" in err


@pytest.mark.parametrize("content", [b"", b"<html>not a model</html>", bytes(range(256))])
def test_malformed_file(capsys, tmp_path, onnx, content):
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
    assert flag[0] in err and "--batch and --dims NAME=VALUE set symbolic sizes" in err


def test_batch_on_a_fixed_batch_model_is_refused(capsys, tmp_path, onnx):
    helper, TensorProto = onnx.helper, onnx.TensorProto
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


def test_blank_hardware_is_refused_not_the_default_device(capsys, mlp_onnx):
    """`--hardware ""` used to fall through `args.hardware or "h100-sxm"` for an ONNX file."""
    err = _one_error_line(*run(capsys, "profile", mlp_onnx, "--hardware", ""))
    assert "--hardware" in err and "blank" in err and "h100" not in err


@pytest.fixture
def unsupported_onnx(tmp_path, onnx):
    """x (N, 32) -> Gemm 64 -> Hardmax: an op ridgeline has no model for (not counted)."""
    helper, TensorProto = onnx.helper, onnx.TensorProto
    weight = onnx.numpy_helper.from_array(np.zeros((64, 32), np.float32), "fc.weight")
    nodes = [helper.make_node("Gemm", ["x", "fc.weight"], ["h"], name="/fc/Gemm", transB=1),
             helper.make_node("Hardmax", ["h"], ["y"], name="/pick/Hardmax", axis=1)]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 64])], [weight])
    path = tmp_path / "picky.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def _warning_lines(err: str) -> list[str]:
    lines = err.splitlines()
    assert lines and all(line.startswith("ridgeline: warning: ") for line in lines), err
    assert "UserWarning" not in err and "Traceback" not in err
    return lines


@pytest.mark.parametrize("fmt", [[], ["--csv"], ["--json"]], ids=["table", "csv", "json"])
def test_importer_warnings_are_one_line_each(capsys, unsupported_onnx, fmt):
    rc, out, err = run(capsys, "profile", unsupported_onnx, *fmt)
    assert rc == 0 and out
    lines = _warning_lines(err)
    assert any("Hardmax" in line for line in lines)


def test_importer_warnings_are_one_line_each_end_to_end(unsupported_onnx):
    """In a real process Python would print `file:line: UserWarning: ...` plus a source line."""
    p = subprocess.run([sys.executable, "-m", "ridgeline", "profile", str(unsupported_onnx)],
                       capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 0 and "not modelled (counted as zero cost): Hardmax" in p.stdout
    assert any("Hardmax" in line for line in _warning_lines(p.stderr))


def test_max_mb_caps_the_graph_and_is_refused_for_a_recipe(capsys, unsupported_onnx):
    # the Hardmax test model's graph is a few hundred bytes: a 1 MB cap admits it; a recipe
    # has no file to cap, so the flag is a usage error (exit 2, one line)
    rc, out, _ = run(capsys, "profile", unsupported_onnx, "--max-mb", "1")
    assert rc == 0 and "Hardmax" in out
    rc, _, err = run(capsys, "profile", "resnet50", "--max-mb", "1")
    assert rc == 2 and "--max-mb" in err and len(err.strip().splitlines()) == 1
