"""The ``ridgeline`` CLI against the Python API it wraps (no golden outputs).

Most cases call ``ridgeline.cli.main(argv)`` in-process (fast); a few run
``python -m ridgeline`` as a subprocess end to end.
"""

import csv
import io
import json
import os
import re
import subprocess
import sys
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ridgeline
from ridgeline import cli
from ridgeline.format import format_count, format_ratio, format_si
from ridgeline.hardware import get_hardware, registry

H100_BF16_RIDGE = 989.4e12 / 3.35e12  # dense bf16 peak / HBM3 bandwidth (S1) = 295.3 FLOP/B


def run(capsys, *argv):
    """main(argv) in-process -> (exit code, stdout, stderr)."""
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def run_json(capsys, *argv):
    rc, out, err = run(capsys, *argv, "--json")
    assert rc == 0, err
    return json.loads(out)


def run_csv(capsys, *argv):
    rc, out, err = run(capsys, *argv, "--csv")
    assert rc == 0, err
    return list(csv.DictReader(io.StringIO(out)))


def subprocess_run(*argv, env=None):
    return subprocess.run([sys.executable, "-m", "ridgeline", *map(str, argv)],
                          check=False, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def need_model(name):
    assert name in ridgeline.models(), f"recipe {name} is not registered"


# ---------------------------------------------------------------- op


GEMM = ["op", "gemm", "--m", 4096, "--n", 4096, "--k", 4096]


def test_op_gemm_json_known_answer(capsys):
    d = run_json(capsys, *GEMM)
    # square GEMM: FLOPs 2.N^3 over (3 N^2 elements x 2 bytes in bf16) = 2N/(3.2) = 1365.3
    assert d["intensity"] == pytest.approx(2 * 4096**3 / (3 * 4096**2 * 2))
    assert d["macs"] == 4096**3 and d["flops"] == 2 * 4096**3
    assert d["bytes"]["total"] == 3 * 4096**2 * 2
    assert d["ridge"] == pytest.approx(H100_BF16_RIDGE)
    assert d["bound"] == "compute"  # 1365 > 295
    for key in ("name", "kind", "macs", "flops", "bytes", "intensity", "ridge", "bound",
                "time_s", "energy_j", "hardware", "dtype"):
        assert key in d
    assert set(d["bytes"]) >= {"weights", "inputs", "outputs", "kv_cache", "total"}
    assert (d["hardware"], d["dtype"]) == ("h100-sxm", "bf16")


def test_op_gemm_json_equals_api(capsys):
    d = run_json(capsys, *GEMM, "--hardware", "a100-80gb", "--dtype", "fp16")
    api = ridgeline.op("gemm", "a100-80gb", "fp16", m=4096, n=4096, k=4096).to_dict()
    assert d.pop("dims") == {"m": 4096, "n": 4096, "k": 4096}
    assert d == api


def test_op_gemm_human_shows_the_api_numbers(capsys):
    rc, out, err = run(capsys, *GEMM)
    assert rc == 0 and err == ""
    e = ridgeline.op("gemm", m=4096, n=4096, k=4096)
    assert f"{format_si(e.macs, 'MAC')} = {format_si(e.flops, 'FLOP')}" in out  # FLOPs by MACs
    assert format_ratio(e.intensity, "FLOP/B") in out
    assert format_ratio(e.ridge, "FLOP/B") in out
    assert "compute-bound" in out
    assert format_si(e.time_s, "s") in out and format_si(e.energy_j, "J") in out
    assert "dense peak" in out and "FLOPs = 2 x MACs" in out and "memory model placed" in out


def test_op_conv2d_json_known_answer(capsys):
    d = run_json(capsys, "op", "conv2d", "--batch", 1, "--in-channels", 64, "--out-channels", 64,
                 "--height", 56, "--width", 56, "--kernel", 3, "--padding", 1)
    assert d["macs"] == 56 * 56 * 64 * 64 * 3 * 3  # H_out.W_out.C_out.C_in.K^2 (same padding)
    assert d["bytes"]["weights"] == 64 * 64 * 9 * 2  # C_out.C_in.K^2 x 2 bytes
    assert d["bytes"]["inputs"] == 64 * 56 * 56 * 2


def test_op_conv2d_depthwise_equals_api(capsys):
    dims = {"batch": 1, "in_channels": 32, "out_channels": 32, "height": 112, "width": 112,
            "kernel": 3, "stride": 2, "padding": 1, "groups": 32}
    d = run_json(capsys, "op", "conv2d", *[x for k, v in dims.items()
                                           for x in (f"--{k.replace('_', '-')}", v)],
                 "--dtype", "int8", "--hardware", "phone-npu")
    api = ridgeline.op("conv2d", "phone-npu", "int8", **dims).to_dict()
    assert d["intensity"] == pytest.approx(api["intensity"]) and d["macs"] == api["macs"]


def test_op_attention_decode_reads_the_kv_cache(capsys):
    d = run_json(capsys, "op", "attention", "--batch", 4, "--heads", 64, "--kv-heads", 8,
                 "--head-dim", 128, "--seq-len", 8192, "--phase", "decode")
    assert d["bytes"]["kv_cache"] == 2 * 4 * 8 * 8192 * 128 * 2  # K and V: 2.B.H_kv.T.d x 2 B
    assert d["intensity"] < 2 * (64 / 8) / 2  # below the 2.(H/H_kv)/bytes = 8 limit
    assert d["bound"] == "memory"


def test_op_attention_flash_prefill_equals_api(capsys):
    d = run_json(capsys, "op", "attention", "--batch", 1, "--heads", 32, "--kv-heads", 8,
                 "--head-dim", 128, "--seq-len", 4096, "--phase", "prefill", "--flash")
    api = ridgeline.op("attention", batch=1, heads=32, kv_heads=8, head_dim=128, seq_len=4096,
                       phase="prefill", flash=True)
    assert d["kind"] == "flash_attention"
    assert d["bytes"]["total"] == pytest.approx(api.bytes.total)


@settings(max_examples=25, deadline=None)
@given(m=st.integers(1, 10**5), n=st.integers(1, 10**5), k=st.integers(1, 10**5))
def test_op_gemm_invariants(m, n, k):
    buf = io.StringIO()
    old, sys.stdout = sys.stdout, buf
    try:
        rc = cli.main(["op", "gemm", "--m", str(m), "--n", str(n), "--k", str(k), "--json"])
    finally:
        sys.stdout = old
    d = json.loads(buf.getvalue())
    assert rc == 0
    assert d["flops"] == 2 * d["macs"] == 2 * m * n * k
    assert d["intensity"] == pytest.approx(d["flops"] / d["bytes"]["total"])
    assert d["bound"] == ("memory" if d["intensity"] < d["ridge"] else "compute")


# ---------------------------------------------------------------- profile


def test_profile_json_is_profile_to_dict(capsys):
    d = run_json(capsys, "profile", "llama-3-8b", "--batch", 8, "--seq-len", 4096)
    api = ridgeline.profile("llama-3-8b", batch=8, seq_len=4096).to_dict()
    assert d.pop("title") == "Llama-3-8B"
    assert d == api
    assert len(d["layers"]) == len(api["layers"]) and "totals" in d


def test_profile_human_rows_match_api(capsys):
    rc, out, err = run(capsys, "profile", "llama-3-70b")
    assert rc == 0 and err == ""
    prof = ridgeline.profile("llama-3-70b")
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    for e in prof.layers:
        row = lines[e.name]
        for text in (format_si(e.macs, "MAC"), format_si(e.flops, "FLOP"),
                     format_ratio(e.intensity, "FLOP/B"), e.bound, format_si(e.time_s, "s"),
                     format_count(e.count)):
            assert text in row, (e.name, text)
    t = prof.totals
    assert format_si(t.time_s, "s") in lines["total"] and format_si(t.macs, "MAC") in lines["total"]
    assert "FLOPs = 2 x MACs" in out and "dense peak" in out and "memory model placed" in out


def test_profile_70b_does_not_fit_an_h100(capsys):
    rc, out, _ = run(capsys, "profile", "llama-3-70b", "--hardware", "h100-sxm")
    assert rc == 0
    line = next(x for x in out.splitlines() if x.startswith("capacity:"))
    # 70.55e9 parameters x 2 bytes = 141 GB of weights > 80 GB of HBM3
    assert "DOES NOT FIT" in line and "141 GB" in line and "80.0 GB" in line


def test_profile_8b_fits_an_h100(capsys):
    rc, out, _ = run(capsys, "profile", "llama-3-8b")
    line = next(x for x in out.splitlines() if x.startswith("capacity:"))
    assert rc == 0 and "fits" in line and "NOT" not in line


def test_profile_csv_one_row_per_layer(capsys):
    rows = run_csv(capsys, "profile", "llama-3-70b", "--batch", 16)
    prof = ridgeline.profile("llama-3-70b", batch=16)
    assert [r["name"] for r in rows] == [e.name for e in prof.layers]
    for r, e in zip(rows, prof.layers):
        assert float(r["flops"]) == pytest.approx(e.flops)
        assert float(r["bytes_total"]) == pytest.approx(e.bytes.total)
        assert r["bound"] == e.bound


def test_profile_tiled_and_flash_options_reach_the_api(capsys):
    d = run_json(capsys, "profile", "llama-3-8b", "--phase", "prefill", "--seq-len", 8192,
                 "--flash", "--memory-model", "tiled", "--dtype", "fp16")
    api = ridgeline.profile("llama-3-8b", dtype="fp16", memory_model="tiled", phase="prefill",
                            seq_len=8192, flash=True)
    assert d["memory_model"] == "tiled" and d["workload"]["flash"] is True
    assert d["totals"]["bytes"]["total"] == pytest.approx(api.totals.bytes.total)


@pytest.mark.parametrize("model, extra", [
    ("resnet50", ["--resolution", "1920x1080"]),
    ("yolov8n", ["--resolution", "640x640"]),
    ("mobilenet-v2", ["--dtype", "int8", "--hardware", "phone-npu"]),
])
def test_profile_vision_models_when_present(capsys, model, extra):
    need_model(model)
    d = run_json(capsys, "profile", model, *extra)
    assert d["model"] == model and len(d["layers"]) > 1
    rows = run_csv(capsys, "profile", model, *extra)
    assert len(rows) == len(d["layers"])


# ---------------------------------------------------------------- sweep


def test_sweep_csv_one_row_per_point(capsys):
    rows = run_csv(capsys, "sweep", "llama-3-70b", "--layer", "gate_proj", "--param", "batch",
                   "--from", 1, "--to", 1024, "--points", 12)
    res = ridgeline.sweep("llama-3-70b", "batch", 1, 1024, 12, layer="gate_proj")
    assert len(rows) == len(res.values)
    assert [float(r["value"]) for r in rows] == list(res.values)
    for r, want in zip(rows, res.rows()):
        assert float(r["intensity"]) == pytest.approx(want["intensity"])
        assert r["bound"] == want["bound"]


def test_sweep_json_whole_model_totals(capsys):
    d = run_json(capsys, "sweep", "llama-3-8b", "--param", "seq-len", "--from", 128, "--to", 32768,
                 "--points", 6, "--batch", 4)
    res = ridgeline.sweep("llama-3-8b", "seq-len", 128, 32768, 6, batch=4)
    assert d["layer"] is None and d["param"] == "seq-len"
    assert [p["flops"] for p in d["points"]] == pytest.approx(list(res.estimate.flops))


def test_sweep_param_overrides_fixed_value(capsys):
    d = run_json(capsys, "sweep", "llama-3-70b", "--layer", "gate_proj", "--param", "batch",
                 "--batch", 999, "--from", 2, "--to", 2, "--points", 1)
    # decode: M = batch = 2 tokens; MACs = M.d.ffn = 2 x 8192 x 28672 per layer, x 80 layers
    assert d["points"][0]["macs"] == 2 * 8192 * 28672 * 80


def test_sweep_human_table(capsys):
    rc, out, _ = run(capsys, "sweep", "llama-3-70b", "--layer", "gate_proj", "--param", "batch",
                     "--from", 1, "--to", 1024, "--points", 8)
    res = ridgeline.sweep("llama-3-70b", "batch", 1, 1024, 8, layer="gate_proj")
    assert rc == 0
    for r in res.rows():
        row = next(x for x in out.splitlines() if x.split()[:1] == [format_count(r["value"])])
        assert format_ratio(r["intensity"], "FLOP/B") in row and r["bound"] in row
    assert "memory" in out and "compute" in out  # gate_proj flips near batch 310


def test_sweep_resolution_when_a_vision_model_is_present(capsys):
    need_model("resnet50")
    rows = run_csv(capsys, "sweep", "resnet50", "--param", "resolution", "--from", 224,
                   "--to", 3840, "--points", 5)
    res = ridgeline.sweep("resnet50", "resolution", 224, 3840, 5)
    assert len(rows) == len(res.values)


# ---------------------------------------------------------------- ridge


def test_ridge_gate_proj_batch_is_about_310(capsys):
    d = run_json(capsys, "ridge", "llama-3-70b", "--layer", "gate_proj", "--param", "batch",
                 "--memory-model", "compulsory")
    # decode gate_proj: M = batch, K = 8192, N = 28672. Solving 2MNK / (s(MK + KN + MN)) = R:
    # M* = R.s.K.N / (2NK - R.s.(K + N)) with R = 295.3, s = 2 bytes -> 309.7
    r, s, k, n = H100_BF16_RIDGE, 2, 8192, 28672
    assert d["crossover"] == pytest.approx(r * s * k * n / (2 * n * k - r * s * (k + n)))
    assert 309 < d["crossover"] < 311 and d["first_compute_bound"] == 310
    assert d["param"] == "batch" and d["hardware"] == "h100-sxm"
    assert d["ridge"] == pytest.approx(H100_BF16_RIDGE)
    assert d == ridgeline.crossover("llama-3-70b", "gate_proj", "batch", memory_model="compulsory").to_dict()


def test_ridge_gate_proj_human(capsys):
    rc, out, _ = run(capsys, "ridge", "llama-3-70b", "--layer", "gate_proj", "--param", "batch",
                     "--memory-model", "compulsory")
    assert rc == 0 and "batch = 309.7" in out and "from batch 310" in out
    assert "295 FLOP/B" in out


def test_ridge_gate_proj_placed_is_the_default_and_crosses_earlier(capsys):
    # placed: gate_proj's input arrives on chip from ffn_norm (decode activations fit the
    # 50 MB L2), so HBM sees K.N + M.N elements: 2MNK / (s(KN + MN)) = R -> M* = R.s.K.N /
    # (2NK - R.s.N) = 590.7 x 8192 / (2 x 8192 - 590.7) = 306.3 ... minus the on-chip share of
    # the output handed to swiglu; the solver's bisection lands below the compulsory 309.7
    d = run_json(capsys, "ridge", "llama-3-70b", "--layer", "gate_proj", "--param", "batch")
    assert d["method"] == "bisection" and 295 < d["crossover"] < 309.7


def test_ridge_decode_attention_never_crosses(capsys):
    d = run_json(capsys, "ridge", "llama-3-70b", "--layer", "attention", "--param", "batch")
    assert d["crossover"] is None and d["direction"] == "none"
    rc, out, err = run(capsys, "ridge", "llama-3-70b", "--layer", "attention", "--param", "batch")
    assert rc == 0 and err == "" and "never crosses" in out


# ---------------------------------------------------------------- hardware


def _columns(line):
    return re.split(r"\s{2,}", line.strip())


@pytest.mark.parametrize("name", ["h100-sxm", "jetson-agx-orin", "ethos-u55", "phone-npu"])
def test_hardware_detail_cites_every_figure(capsys, name):
    rc, out, _ = run(capsys, "hardware", name)
    hw = get_hardware(name)
    assert rc == 0
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    for key, fig in hw.figures().items():
        source = _columns(lines[key])[2]
        assert source.split()[0] == fig.source
        assert ("(estimate)" in source) == fig.estimate, key
    for dtype in hw.dtypes:  # ridge per precision
        row = next(x for x in out.splitlines() if x.split()[:1] == [dtype])
        unit = ridgeline.get_dtype(dtype).work_unit
        assert format_ratio(hw.ridge(dtype), unit + "/B") in row


def test_hardware_detail_json(capsys):
    d = run_json(capsys, "hardware", "h100-sxm")
    hw = get_hardware("h100-sxm")
    assert d["ridge"]["bf16"] == pytest.approx(H100_BF16_RIDGE)
    assert d["figures"]["memory.energy_per_byte"]["estimate"] is True  # HBM2E figure on HBM3
    assert d["figures"]["peak.bf16"] == {"value": 989.4e12, "unit": "FLOP/s", "source": "S1",
                                         "estimate": False, "note": hw.peaks["bf16"].note}
    assert set(d["sources"]) == {f.source for f in hw.figures().values()}


def test_hardware_list_every_device_with_ridges(capsys):
    rc, out, _ = run(capsys, "hardware")
    assert rc == 0
    for key, hw in registry().items():
        row = next(x for x in out.splitlines() if x.split()[:1] == [key])
        for dtype in hw.dtypes:
            assert format_ratio(hw.ridge(dtype)) in row
    devices = run_json(capsys, "hardware")
    assert [d["key"] for d in devices] == list(registry())
    assert devices[0]["ridge"]["bf16"] == pytest.approx(H100_BF16_RIDGE)


# ---------------------------------------------------------------- lab


@pytest.fixture
def fake_server(monkeypatch):
    calls = []
    mod = types.ModuleType("ridgeline.lab.server")
    mod.serve = lambda host, port: calls.append((host, port)) or 0
    monkeypatch.setitem(sys.modules, "ridgeline.lab.server", mod)
    return calls


def test_lab_defaults_to_loopback(capsys, fake_server):
    rc, _, err = run(capsys, "lab")
    assert rc == 0 and fake_server == [("127.0.0.1", 2718)] and err == ""


def test_lab_binds_elsewhere_only_when_asked(capsys, fake_server):
    rc, _, _ = run(capsys, "lab", "--host", "0.0.0.0", "--port", 9000)
    assert rc == 0 and fake_server == [("0.0.0.0", 9000)]


def test_lab_json_announces_the_url(capsys, fake_server):
    rc, out, _ = run(capsys, "lab", "--json")
    assert rc == 0 and json.loads(out)["url"] == "http://127.0.0.1:2718/"


def test_lab_missing_server_module_is_one_clear_line(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ridgeline.lab.server", None)  # import fails
    rc, out, err = run(capsys, "lab")
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("ridgeline: error:") and "lab" in err


# ---------------------------------------------------------------- errors


BAD = {
    "unknown model": ["profile", "gpt-9"],
    "unknown hardware": [*GEMM, "--hardware", "tpu-v9"],
    "unknown dtype": [*GEMM, "--dtype", "bf7"],
    "dtype the device lacks": [*GEMM, "--dtype", "int4"],
    "unknown layer": ["ridge", "llama-3-70b", "--layer", "nope", "--param", "batch"],
    "unknown param": ["ridge", "llama-3-70b", "--layer", "gate_proj", "--param", "width"],
    "param the model lacks": ["sweep", "llama-3-70b", "--param", "frames", "--from", 1, "--to", 8],
    "option the model lacks": ["profile", "llama-3-70b", "--resolution", "224x224"],
    "phase on a model without one": ["profile", "resnet50", "--phase", "decode"],
    "zero size": ["op", "gemm", "--m", 0, "--n", 1, "--k", 1],
    "negative size": ["op", "gemm", "--m", -4, "--n", 1, "--k", 1],
    "nan size": ["op", "gemm", "--m", "nan", "--n", 1, "--k", 1],
    "inf size": ["profile", "llama-3-70b", "--batch", "inf"],
    "absurd size": ["profile", "llama-3-70b", "--batch", "1e30"],
    "fractional size": ["profile", "llama-3-70b", "--seq-len", "2.5"],
    "not a number": ["op", "gemm", "--m", "big", "--n", 1, "--k", 1],
    "kernel beyond padded input": ["op", "conv2d", "--batch", 1, "--in-channels", 3,
                                   "--out-channels", 8, "--height", 4, "--width", 4,
                                   "--kernel", 7, "--padding", 1],
    "groups not dividing channels": ["op", "conv2d", "--batch", 1, "--in-channels", 6,
                                     "--out-channels", 8, "--height", 8, "--width", 8,
                                     "--kernel", 3, "--groups", 4],
    "kv-heads not dividing heads": ["op", "attention", "--batch", 1, "--heads", 6,
                                    "--kv-heads", 4, "--head-dim", 64, "--seq-len", 16,
                                    "--phase", "decode"],
    "bad phase": ["op", "attention", "--batch", 1, "--heads", 8, "--head-dim", 64,
                  "--seq-len", 16, "--phase", "middle"],
    "malformed resolution": ["profile", "llama-3-70b", "--resolution", "12x"],
    "from above to": ["sweep", "llama-3-70b", "--param", "batch", "--from", 100, "--to", 10],
    "zero points": ["sweep", "llama-3-70b", "--param", "batch", "--from", 1, "--to", 8,
                    "--points", 0],
    "missing required": ["op", "gemm", "--m", 1, "--n", 1],
    "missing op kind": ["op"],
    "unknown option": [*GEMM, "--bogus"],
    "json with csv": ["profile", "llama-3-8b", "--json", "--csv"],
    "bad port": ["lab", "--port", 70000],
    "unknown hardware name": ["hardware", "cray-1"],
    "blank hardware": [*GEMM, "--hardware", ""],
    "blank dtype": [*GEMM, "--dtype", "   "],
    "blank model": ["profile", ""],
    "blank layer": ["ridge", "llama-3-70b", "--layer", " ", "--param", "batch"],
    "blank hardware name": ["hardware", ""],
}

#: A blank name is refused by the parser, naming the argument, never resolved to a default.
BLANK = {"--hardware": [*GEMM, "--hardware", ""],
         "--dtype": ["profile", "llama-3-8b", "--dtype", "\t"],
         "MODEL": ["sweep", " ", "--param", "batch", "--from", 1, "--to", 8],
         "--layer": ["sweep", "llama-3-8b", "--layer", "", "--param", "batch", "--from", 1,
                     "--to", 8],
         "NAME": ["hardware", "  "],
         "--host": ["lab", "--host", ""]}


@pytest.mark.parametrize("arg", BLANK, ids=BLANK.keys())
def test_blank_names_are_one_clear_error(capsys, arg):
    rc, out, err = run(capsys, *BLANK[arg])
    assert rc == 2 and out == ""
    assert err.startswith(f"ridgeline: error: argument {arg}: ") and "cannot be blank" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("argv", BAD.values(), ids=BAD.keys())
def test_bad_input_is_one_line_and_exit_2(capsys, argv):
    rc, out, err = run(capsys, *argv)
    assert rc == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("ridgeline: error: ")
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", [BAD["nan size"], BAD["unknown model"], BAD["from above to"]])
def test_bad_input_end_to_end(argv):
    p = subprocess_run(*argv)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("ridgeline: error: ")


def test_no_subcommand_prints_help_and_exits_2(capsys):
    rc, _, err = run(capsys)
    assert rc == 2 and "usage: ridgeline" in err and "profile" in err


def test_internal_error_is_one_line_exit_1_unless_debugging(capsys, monkeypatch):
    def boom(args):
        raise KeyError("oops")
    monkeypatch.setattr(cli, "cmd_hardware", boom)
    rc, _, err = run(capsys, "hardware")
    assert rc == 1 and err.count("\n") == 1 and "internal error" in err
    assert "RIDGELINE_DEBUG" in err and "Traceback" not in err
    monkeypatch.setenv("RIDGELINE_DEBUG", "1")
    with pytest.raises(KeyError):
        cli.main(["hardware"])


def test_python_warnings_are_one_line_each(capsys, monkeypatch):
    import warnings

    def chatty(args):
        warnings.warn("first line\n  continued", UserWarning, stacklevel=1)
        warnings.warn("overflow in a sweep", RuntimeWarning, stacklevel=1)
        return 0
    monkeypatch.setattr(cli, "cmd_hardware", chatty)
    rc, out, err = run(capsys, "hardware")
    assert rc == 0 and out == ""
    assert err == ("ridgeline: warning: first line continued\n"
                   "ridgeline: warning: overflow in a sweep\n")


# ---------------------------------------------------------------- speed: nothing heavy imported


HEAVY = ("marimo", "altair", "pandas", "torch", "onnx", "transformers")


@pytest.mark.parametrize("argv", [["--help"], GEMM, ["op", "attention", "--batch", 1,
                                                     "--heads", 8, "--head-dim", 64,
                                                     "--seq-len", 128, "--phase", "decode"]])
def test_fast_paths_import_nothing_heavy(argv):
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "ridgeline", *map(str, argv)],
                       check=False, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0]
                for line in p.stderr.splitlines() if line.startswith("import time:")}
    assert "ridgeline" in imported  # the listing really is there
    assert not imported & set(HEAVY)


def test_end_to_end_json(tmp_path):
    p = subprocess_run(*GEMM, "--json")
    assert p.returncode == 0 and p.stderr == ""
    assert json.loads(p.stdout)["intensity"] == pytest.approx(4096 / 3)  # 2N/(3s), s = 2


def test_version(capsys):
    rc, out, _ = run(capsys, "--version")
    assert rc == 0 and ridgeline.__version__ in out


@pytest.mark.parametrize("model", sorted(ridgeline.models()))
def test_capacity_line_agrees_with_the_api_for_every_model(capsys, model):
    rc, out, _ = run(capsys, "profile", model)
    prof = ridgeline.profile(model)
    line = next(x for x in out.splitlines() if x.startswith("capacity:"))
    assert rc == 0
    assert ("DOES NOT FIT" in line) == (not bool(prof.capacity.fits)), line
    assert format_si(prof.totals.time_s, "s") in out  # the totals are printed too


def _main_quietly(argv):
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        rc = cli.main([str(a) for a in argv])
    finally:
        sys.stdout, sys.stderr = old
    return rc, out.getvalue(), err.getvalue()


@settings(max_examples=60, deadline=None)
@given(b=st.integers(1, 4), cin=st.integers(1, 64), cout=st.integers(1, 64),
       h=st.integers(1, 64), w=st.integers(1, 64), k=st.integers(1, 9), stride=st.integers(1, 4),
       pad=st.integers(0, 4), groups=st.integers(1, 8))
def test_conv2d_any_shape_is_an_estimate_or_one_error_line(b, cin, cout, h, w, k, stride, pad,
                                                            groups):
    rc, out, err = _main_quietly(["op", "conv2d", "--batch", b, "--in-channels", cin,
                                  "--out-channels", cout, "--height", h, "--width", w,
                                  "--kernel", k, "--stride", stride, "--padding", pad,
                                  "--groups", groups, "--json"])
    fits = h + 2 * pad >= k and w + 2 * pad >= k  # the kernel fits the padded input
    divides = cin % groups == 0 and cout % groups == 0
    if fits and divides:
        d = json.loads(out)
        assert rc == 0 and d["flops"] == 2 * d["macs"]
        h_out, w_out = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
        assert d["macs"] == b * h_out * w_out * cout * (cin // groups) * k * k
    else:
        assert rc == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err


def test_hardware_shows_static_power_and_energy_per_op_with_sources(capsys):
    # the phone NPU's int8 op energy comes from the node table (J21) scaled to its node; the
    # JSON carries the same figure the engine charges (api.op_energy) and static_w
    d = run_json(capsys, "hardware", "phone-npu")
    e = ridgeline.api.op_energy("phone-npu", "int8")
    assert d["energy_per_op"]["int8"]["value"] == e.value and d["energy_per_op"]["int8"]["source"] == e.source
    assert d["static_w"] == ridgeline.get_hardware("phone-npu").static_w.value > 0
    assert e.source in d["sources"]
    rc, out, _ = run(capsys, "hardware", "phone-npu")
    assert rc == 0 and "energy/op" in out and "static_w" in out
