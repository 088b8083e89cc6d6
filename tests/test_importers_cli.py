"""Your own model from the command line: --torch factories, Hugging Face config.json,
sweeps on them (interpolated traces equal direct ones) and --plot."""

import json
import textwrap

import pytest

import ridgeline
from ridgeline.cli import main
from ridgeline.importers import hf_recipe, torch_recipe

torch = pytest.importorskip("torch")

LLAMA_3_8B = {"architectures": ["LlamaForCausalLM"], "hidden_size": 4096,
              "intermediate_size": 14336, "max_position_embeddings": 8192, "model_type": "llama",
              "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
              "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "tie_word_embeddings": False,
              "torch_dtype": "bfloat16", "vocab_size": 128256}


@pytest.fixture
def factory(tmp_path, monkeypatch):
    (tmp_path / "mymodels.py").write_text(textwrap.dedent("""
        from torch import nn
        def mlp():
            return nn.Sequential(nn.Linear(256, 1024), nn.GELU(), nn.Linear(1024, 256))
    """))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_llama_3_8b_config_matches_the_recipe(tmp_path):
    pytest.importorskip("transformers")
    path = tmp_path / "config.json"
    path.write_text(json.dumps(LLAMA_3_8B))
    recipe = hf_recipe(str(path))
    ours = ridgeline.profile(recipe, seq_len=8192, batch=1, phase="decode")
    theirs = ridgeline.profile("llama-3-8b", seq_len=8192, batch=1, phase="decode")
    for field in ("flops", "params"):
        a, b = getattr(ours.totals, field), getattr(theirs.totals, field)
        assert abs(a / b - 1) < 0.005, field
    assert abs(ours.totals.bytes.total / theirs.totals.bytes.total - 1) < 0.005
    assert ours.capacity.weights_bytes == theirs.capacity.weights_bytes  # 8,030,261,248 x 2 B


def test_torch_factory_profile_json_and_sweep(factory, capsys):
    code, out, _ = run(capsys, "profile", "--torch", "mymodels:mlp", "--input-shape", "8x256",
                       "--json")
    assert code == 0
    data = json.loads(out)
    # 8 rows: 8.256.1024 + 8.1024.256 MACs = 4,194,304
    assert data["totals"]["macs"] == 2 * 8 * 256 * 1024
    assert [l["name"] for l in data["layers"]] == ["0", "1", "2"]
    code, out, _ = run(capsys, "sweep", "--torch", "mymodels:mlp", "--input-shape", "8x256",
                       "--param", "batch", "--from", "1", "--to", "4096", "--points", "9",
                       "--csv")
    rows = out.strip().splitlines()[1:]
    assert code == 0 and len(rows) == 9
    macs = [float(r.split(",")[1]) for r in rows]
    assert macs[0] == 2 * 256 * 1024 and macs[-1] == 4096 * 2 * 256 * 1024
    # a 2-D float input is [batch, features]: no sequence length to sweep or to print
    code, out, _ = run(capsys, "profile", "--torch", "mymodels:mlp", "--input-shape", "8x256")
    assert code == 0 and out.startswith("mymodels:mlp on NVIDIA H100") and "seq-len" not in out
    code, _, err = run(capsys, "sweep", "--torch", "mymodels:mlp", "--input-shape", "8x256",
                       "--param", "seq-len", "--from", "1", "--to", "8")
    assert code == 2 and "seq-len" in err


def test_interpolated_sweep_equals_direct_traces(factory):
    recipe = torch_recipe("mymodels:mlp", ["8x256"])
    swept = ridgeline.sweep(recipe, "batch", 1, 1000, 12)
    for row in swept.rows()[::5]:
        direct = ridgeline.profile(recipe, batch=int(row["value"]))
        assert row["flops"] == direct.totals.flops and row["bytes"] == direct.totals.bytes.total


def test_plot_writes_the_lab_spec(factory, capsys):
    pytest.importorskip("vl_convert")
    code, _, err = run(capsys, "profile", "--torch", "mymodels:mlp", "--input-shape", "8x256",
                       "--plot", "roof.svg")
    assert code == 0 and "wrote roof.svg" in err
    assert (factory / "roof.svg").read_text().lstrip().startswith("<svg")
    code, _, _ = run(capsys, "ridge", "resnet50", "--layer", "fc", "--param", "batch",
                     "--plot", "ridge.html")
    assert code == 0 and '"vega-lite"' in (factory / "ridge.html").read_text()


def test_usage_errors(factory, capsys):
    assert run(capsys, "profile", "--torch", "mymodels:mlp")[0] == 2  # no --input-shape
    code, _, err = run(capsys, "profile", "resnet50", "--dims", "seq=4")
    assert code == 2 and "--dims" in err
    code, _, err = run(capsys, "profile", "--torch", "mymodels:nope", "--input-shape", "1x256")
    assert code == 2 and "cannot load mymodels:nope" in err
    code, _, err = run(capsys, "profile", "resnet50", "--plot", "x.pdf")
    assert code == 2 and ".svg" in err
