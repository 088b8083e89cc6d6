"""Vectorized sweeps and the crossover solver, against point-by-point runs and closed forms.

Square GEMM: intensity 2N/(3s) meets the ridge R at N* = 3.R.s/2; a Linear layer with
M = batch (decode) or batch.seq (prefill) crosses at M* = R.s.K.N / (2NK - R.s.(K + N)).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import ridgeline
from ridgeline.errors import RidgelineError
from ridgeline.hardware import get_hardware, registry
from ridgeline.ops import Gemm
from ridgeline.roofline import estimate
from ridgeline.sweeping import _bisect, evaluate, gemm_crossover_m, square_gemm_crossover, sweep

LLAMA = "llama-3-70b"


# ----------------------------------------------------------------- sweeps

@pytest.mark.parametrize("layer", ["gate_proj", "attention", "embed_tokens", None])
def test_vectorized_sweep_equals_point_by_point(layer):
    res = sweep(LLAMA, "batch", 1, 2048, points=12, layer=layer, phase="decode", seq_len=4096)
    e = res.estimate
    at = lambda x, i: np.broadcast_to(x, res.values.shape)[i]
    for i, b in enumerate(res.values):
        p = ridgeline.profile(LLAMA, batch=int(b), phase="decode", seq_len=4096)
        one = p.totals if layer is None else p.layer(layer)
        assert at(e.flops, i) == pytest.approx(one.flops)
        assert at(e.bytes.total, i) == pytest.approx(one.bytes.total)
        assert at(e.time_s, i) == pytest.approx(one.time_s)
        assert at(e.energy_j, i) == pytest.approx(one.energy_j)
        assert at(e.bound, i) == one.bound


def test_seq_len_sweep_in_prefill_equals_point_by_point():
    vals = [16, 300, 4096]
    res = evaluate(LLAMA, "seq-len", vals, layer="attention", phase="prefill", flash=True)
    for i, t in enumerate(vals):
        one = ridgeline.profile(LLAMA, seq_len=t, phase="prefill", flash=True).layer("attention")
        assert res.estimate.intensity[i] == pytest.approx(one.intensity)
        assert res.estimate.time_s[i] == pytest.approx(one.time_s)


def test_sweep_grid_and_rows():
    res = sweep(LLAMA, "batch", 1, 1000, points=50, layer="gate_proj")
    assert res.values[0] == 1 and res.values[-1] == 1000
    assert np.all(np.diff(res.values) > 0) and np.all(res.values == np.round(res.values))
    rows = res.rows()
    assert len(rows) == len(res.values)
    assert {"value", "flops", "bytes", "intensity", "ridge", "bound", "time_s"} <= set(rows[0])
    # GEMM intensity grows with batch (weights are reused across the batch)
    assert all(a["intensity"] < b["intensity"] for a, b in itertools.pairwise(rows))


def test_sweep_bad_input():
    with pytest.raises(RidgelineError, match="unknown sweep parameter 'depth'"):
        sweep(LLAMA, "depth", 1, 8)
    with pytest.raises(RidgelineError, match="does not scale with resolution"):
        sweep(LLAMA, "resolution", 64, 128)
    with pytest.raises(RidgelineError, match="range is empty"):
        sweep(LLAMA, "batch", 8, 2)
    with pytest.raises(RidgelineError, match="unknown layer 'mlp'"):
        sweep(LLAMA, "batch", 1, 8, layer="mlp")
    with pytest.raises(RidgelineError, match="at least 1"):
        sweep(LLAMA, "batch", 0, 8)
    with pytest.raises(RidgelineError, match="finite"):
        evaluate(LLAMA, "batch", [1, float("nan")])


# ----------------------------------------------------------------- closed forms

def _gemm_intensity(m, n, k, hw, dtype):
    """Intensity of a (possibly fractional-M) GEMM through the estimator (arrays allowed)."""
    return float(estimate(Gemm(np.array([m]), np.array([n]), np.array([k])), hw, dtype).intensity[0])


@pytest.mark.parametrize("key", sorted(registry()))
def test_square_gemm_crossover_is_3_ridge_s_over_2(key):
    hw = get_hardware(key)
    for dtype in hw.dtypes:
        s = ridgeline.get_dtype(dtype).bytes
        n_star = square_gemm_crossover(hw.ridge(dtype), s)
        assert n_star == pytest.approx(1.5 * hw.ridge(dtype) * s)
        if n_star >= 1:
            assert _gemm_intensity(n_star, n_star, n_star, hw, dtype) == pytest.approx(hw.ridge(dtype))


def test_square_gemm_crossover_h100_bf16():
    # R = 989.4/3.35 = 295.3; N* = 3 . 295.3 . 2 / 2 = 886
    n_star = square_gemm_crossover(get_hardware("h100-sxm").ridge("bf16"), 2)
    assert n_star == pytest.approx(886, abs=0.5)
    assert estimate(Gemm(885, 885, 885), "h100-sxm", "bf16").bound == "memory"
    assert estimate(Gemm(887, 887, 887), "h100-sxm", "bf16").bound == "compute"


def test_gemm_crossover_m_solves_intensity_equals_ridge():
    r = get_hardware("h100-sxm").ridge("bf16")
    for n, k in ((28672, 8192), (8192, 8192), (1024, 8192), (128_256, 8192)):
        m = gemm_crossover_m(n, k, r, 2)
        assert _gemm_intensity(m, n, k, "h100-sxm", "bf16") == pytest.approx(r)
    m = gemm_crossover_m(4096, 4096, r, 2)
    assert gemm_crossover_m(4096, 4096, r, 2) == pytest.approx(r * 2 * 4096**2 / (2 * 4096**2 - r * 2 * 8192))
    assert m > 0
    # the square case agrees with N* = 3Rs/2
    n_star = square_gemm_crossover(r, 2)
    assert gemm_crossover_m(n_star, n_star, r, 2) == pytest.approx(n_star)


def test_gemm_crossover_m_with_bias():
    # a bias adds N weight elements: M* = R.s.(KN + N) / (2NK - R.s.(K + N))
    r = get_hardware("h100-sxm").ridge("bf16")
    m = gemm_crossover_m(1000, 2048, r, 2, bias=True)
    g = Gemm(np.array([m]), 1000, 2048, bias=True)
    assert float(estimate(g, "h100-sxm", "bf16").intensity[0]) == pytest.approx(r)
    assert m > gemm_crossover_m(1000, 2048, r, 2)


def test_gemm_crossover_m_none_when_out_of_reach():
    # limit 2NK/(s(N+K)) = 2.64.64/(2.128) = 32 < 295: no M reaches the ridge
    assert gemm_crossover_m(64, 64, get_hardware("h100-sxm").ridge("bf16"), 2) is None


# ----------------------------------------------------------------- crossover solver

def test_llama70b_gate_proj_decode_crosses_near_batch_310():
    # gate_proj: K = 8192, N = 28672, BF16, R = 295.34 (DATA.md C.2: "B ~ 295")
    # M* = 295.34 . 2 . 8192 . 28672 / (2 . 8192 . 28672 - 295.34 . 2 . 36864) = 309.7
    c = ridgeline.crossover(LLAMA, "gate_proj", "batch", hardware="h100-sxm", dtype="bf16",
                            phase="decode", memory_model="compulsory")
    assert c.method == "closed form" and c.direction == "memory->compute"
    assert c.crossover == pytest.approx(309.7, abs=0.05)
    assert c.first_compute_bound == 310
    b = evaluate(LLAMA, "batch", [309, 310], layer="gate_proj", phase="decode",
                 memory_model="compulsory").estimate.bound
    assert list(b) == ["memory", "compute"]


def test_closed_form_respects_the_search_range():
    # gate_proj crosses at batch 309.7: outside [1, 100] it never crosses, as bisection says
    kw = {"phase": "decode", "memory_model": "compulsory"}
    below = ridgeline.crossover(LLAMA, "gate_proj", "batch", hi=100, **kw)
    above = ridgeline.crossover(LLAMA, "gate_proj", "batch", lo=400, hi=800, **kw)
    assert below.crossover is None and "memory-bound for every batch in [1, 100]" in below.reason
    assert above.crossover is None and "compute-bound" in above.reason
    bis = _bisect(LLAMA, "batch", 1, 100, {"layer": "gate_proj", "hardware": None, "dtype": None,
                                           "memory_model": "compulsory", **kw})
    assert bis["crossover"] is None


def test_bisection_agrees_with_closed_form():
    kw = {"layer": "gate_proj", "hardware": "h100-sxm", "dtype": "bf16",
          "memory_model": "compulsory", "phase": "decode"}
    closed = ridgeline.crossover(LLAMA, "gate_proj", "batch", hardware="h100-sxm", dtype="bf16",
                                 phase="decode", memory_model="compulsory")
    bis = _bisect(LLAMA, "batch", 1, 65_536, kw)
    assert bis["method"] == "bisection"
    assert bis["crossover"] == pytest.approx(closed.crossover, rel=1e-6)
    assert bis["first_compute_bound"] == closed.first_compute_bound


def test_tiled_model_forces_bisection_and_never_crosses_earlier():
    tiled = ridgeline.crossover(LLAMA, "gate_proj", "batch", memory_model="tiled", phase="decode")
    closed = ridgeline.crossover(LLAMA, "gate_proj", "batch", phase="decode",
                                 memory_model="compulsory")
    assert tiled.method == "bisection"
    assert tiled.crossover >= closed.crossover * (1 - 1e-9)  # tiled traffic >= compulsory (equal
    # here: a decode GEMM with M = batch rows is one full-height tile, B read once)


def test_decode_attention_never_crosses_with_batch():
    # AI = 2.(H/H_kv)/s ~ 8 FLOP/B whatever the batch (DATA.md D.4)
    c = ridgeline.crossover(LLAMA, "attention", "batch", phase="decode")
    assert c.crossover is None and c.direction == "none"
    assert "never crosses" in c.reason and "memory-bound" in c.reason


@pytest.mark.parametrize("layer", ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                   "up_proj", "down_proj", "lm_head"])
def test_prefill_linear_layers_cross_in_seq_len(layer):
    c = ridgeline.crossover(LLAMA, layer, "seq-len", phase="prefill", batch=1)
    assert c.crossover is not None and c.direction == "memory->compute"
    assert 250 < c.crossover < 1000          # a few hundred prompt tokens on an H100 in BF16
    below, above = evaluate(LLAMA, "seq-len", [np.floor(c.crossover), c.first_compute_bound],
                            layer=layer, phase="prefill").estimate.bound
    assert (below, above) == ("memory", "compute")


@pytest.mark.parametrize("hardware,dtype", [("h100-sxm", "fp32"), ("jetson-agx-orin", "fp32"),
                                            ("jetson-agx-orin:30w", "fp16")])
def test_flash_prefill_crosses_where_standard_does_not(hardware, dtype):
    # standard attention's intensity tends to d/(2s) (= 16 in FP32, 32 in FP16 for d = 128),
    # under these ridges (20, 25.9, 50); FlashAttention's Alg. 1 tile model (memory model
    # "tiled", Dao et al. 2022) tends to ~M/(3.s.d), above them
    kw = {"hardware": hardware, "dtype": dtype, "phase": "prefill", "batch": 1,
          "memory_model": "tiled"}
    std = ridgeline.crossover(LLAMA, "attention", "seq-len", flash=False, **kw)
    flash = ridgeline.crossover(LLAMA, "attention", "seq-len", flash=True, **kw)
    assert std.crossover is None and "never crosses" in std.reason
    assert flash.crossover is not None and flash.direction == "memory->compute"
    x = flash.crossover
    bounds = evaluate(LLAMA, "seq-len", [x * 0.98, x * 1.02, 1e6], layer="attention",
                      flash=True, **kw).estimate.bound
    assert list(bounds) == ["memory", "compute", "compute"]


def test_crossover_bad_input():
    with pytest.raises(RidgelineError, match="unknown layer"):
        ridgeline.crossover(LLAMA, "nope", "batch")
    with pytest.raises(RidgelineError, match="unknown model"):
        ridgeline.crossover("gpt-5", "q_proj", "batch")
    with pytest.raises(RidgelineError, match="search range is empty"):
        ridgeline.crossover(LLAMA, "q_proj", "batch", lo=64, hi=8)
    with pytest.raises(RidgelineError, match="no fp8 peak"):
        ridgeline.crossover(LLAMA, "q_proj", "batch", hardware="a100-80gb", dtype="fp8")


def test_sweep_rows_are_strict_json_for_a_layer_kept_on_chip():
    # placed: ds-cnn's avgpool reads the conv output on chip and writes 64 values per batch
    # item that the fc reads on chip too -> no off-chip bytes, intensity +inf -> null in JSON
    import json
    rows = ridgeline.sweep("ds-cnn", "batch", 1, 4, 2, layer="avgpool", hardware="a100-80gb",
                           dtype="bf16").rows()
    text = json.dumps(rows, allow_nan=False)  # raises on inf/nan
    assert all(r["intensity"] is None or r["intensity"] > 0 for r in json.loads(text))
