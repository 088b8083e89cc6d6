"""Roofline and energy: one operator on one device -> a frozen, addable Estimate.

time = max(FLOPs/peak, bytes/BW); ridge = peak/BW; attainable = min(peak, BW x I) (S35);
energy = FLOPs x e_op + bytes x e_byte (+ static x time) (DATA.md D.6, S22).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import ridgeline
from ridgeline.errors import RidgelineError
from ridgeline.hardware import Figure, get_hardware
from ridgeline.ops import Attention, Elementwise, Gemm, linear
from ridgeline.recipes import Layer
from ridgeline.roofline import estimate, total

H100 = get_hardware("h100-sxm")
PEAK, BW = 989.4e12, 3.35e12          # S1: bf16 dense, HBM3


def test_compute_bound_gemm():
    e = estimate(Gemm(4096, 4096, 4096), "h100-sxm", "bf16")
    assert e.flops == 2 * 4096**3
    assert e.bytes.total == 3 * 4096**2 * 2                   # three 4096^2 BF16 matrices
    assert e.intensity == pytest.approx(8192 / 6)              # 2N/(3s) = 1365 FLOP/B
    assert e.ridge == pytest.approx(PEAK / BW)                 # 295
    assert e.bound == "compute"
    assert e.time_s == pytest.approx(2 * 4096**3 / PEAK)       # 139 us
    assert e.attainable_flops == pytest.approx(PEAK)


def test_memory_bound_gemv():
    # decode batch 1: 8192 x 28672 BF16 weights dominate; intensity ~ 2/s = 1 FLOP/B
    e = estimate(linear(1, 8192, 28672), "h100-sxm", "bf16")
    assert e.bound == "memory"
    assert e.time_s == pytest.approx(e.bytes.total / BW)       # 470 MB / 3.35 TB/s = 140 us
    assert e.attainable_flops == pytest.approx(BW * e.intensity)


@pytest.mark.parametrize("m", [1, 16, 128, 300, 310, 1024, 8192])
def test_time_is_max_of_bounds_and_attainable_is_min(m):
    e = estimate(linear(m, 8192, 28672), "h100-sxm", "bf16")
    t_c, t_m = e.flops / PEAK, e.bytes.total / BW
    assert e.time_compute_s == pytest.approx(t_c)
    assert e.time_memory_s == pytest.approx(t_m)
    assert e.time_s == pytest.approx(max(t_c, t_m))
    assert e.attainable_flops == pytest.approx(min(PEAK, BW * e.intensity))
    assert e.bound == ("memory" if e.intensity < e.ridge else "compute")


def test_energy_is_ops_times_e_op_plus_bytes_times_e_byte():
    e = estimate(Gemm(1024, 1024, 1024), "h100-sxm", "bf16")
    # Jouppi 7 nm (J21): (BF16 mult 0.21 + FP32 add 0.38) / 2 = 0.295 pJ; x 0.70 for TSMC N5 (S45)
    e_flop = 0.295e-12 * 0.70
    e_byte = 48e-12               # HBM2E 6.0 pJ/bit x 8 (S23)
    assert e.energy_compute_j == pytest.approx(2 * 1024**3 * e_flop)
    assert e.energy_memory_j == pytest.approx(3 * 1024**2 * 2 * e_byte)
    assert e.energy_static_j == pytest.approx(70.0 * e.time_s)   # H100 SXM static 70 W
    assert e.energy_j == pytest.approx(e.energy_compute_j + e.energy_memory_j + e.energy_static_j)


def test_static_power_adds_static_times_time():
    hw = replace(H100, static_w=Figure(100.0, "U1", estimate=True))   # synthetic device
    plain = estimate(Gemm(2048, 2048, 2048), replace(H100, static_w=None), "bf16")
    e = estimate(Gemm(2048, 2048, 2048), hw, "bf16")
    assert plain.energy_static_j == 0 and plain.static_w == 0
    assert e.energy_static_j == pytest.approx(100.0 * e.time_s)
    assert e.energy_j == pytest.approx(plain.energy_j + 100.0 * e.time_s)
    assert e.time_s == plain.time_s


def test_power_at_a_rate():
    e = estimate(Gemm(256, 256, 256), "jetson-agx-orin", "int8")
    dynamic = e.energy_compute_j + e.energy_memory_j
    # P = P_static (6 W, all the time) + dynamic energy per run x rate
    assert e.power_w(60) == pytest.approx(6.0 + 60 * dynamic)
    assert e.power_w(0.5) == pytest.approx(6.0 + dynamic / 2)
    with pytest.raises(RidgelineError, match="cannot run this"):
        e.power_w(1.5 / e.time_s)                  # busy 1.5 x the time there is


def test_count_scales_extensive_fields_not_ratios():
    one = estimate(Gemm(64, 64, 64), "h100-sxm", "bf16")
    many = estimate(Gemm(64, 64, 64), "h100-sxm", "bf16", count=80)
    for field in ("macs", "flops", "time_s", "energy_j", "params"):
        assert getattr(many, field) == pytest.approx(80 * getattr(one, field))
    assert many.bytes.total == 80 * one.bytes.total
    assert many.intensity == pytest.approx(one.intensity)
    assert many.ridge == pytest.approx(one.ridge)


def test_estimates_add_up():
    a = estimate(Gemm(64, 128, 256), "h100-sxm", "bf16")
    b = estimate(Elementwise("add", 4096, reads=2), "h100-sxm", "bf16")
    s = a + b
    assert s.flops == a.flops + b.flops
    assert s.bytes.total == a.bytes.total + b.bytes.total
    assert s.time_s == pytest.approx(a.time_s + b.time_s)    # layers run one after another
    assert s.energy_j == pytest.approx(a.energy_j + b.energy_j)
    assert s.intensity == pytest.approx((a.flops + b.flops) / (a.bytes.total + b.bytes.total))
    with pytest.raises(RidgelineError, match="different hardware"):
        a + estimate(Gemm(64, 128, 256), "a100-80gb", "bf16")
    with pytest.raises(RidgelineError, match="nothing to add"):
        total([])


@pytest.mark.parametrize("phase", ["decode", "prefill"])
def test_profile_totals_equal_sum_of_layers_times_counts(phase):
    p = ridgeline.profile("llama-3-70b", batch=2, seq_len=1024, phase=phase, memory_model="compulsory")
    layers = ridgeline.get_model("llama-3-70b").build(p.workload)
    assert p.totals.flops == sum(l.op.flops() * l.count for l in layers)
    assert p.totals.macs == sum(l.op.macs() * l.count for l in layers)
    assert p.totals.bytes.total == pytest.approx(
        sum(l.op.traffic().total * l.count for l in layers) * 2)          # BF16
    assert p.totals.time_s == pytest.approx(sum(e.time_s for e in p.layers))
    assert p.totals.energy_j == pytest.approx(sum(e.energy_j for e in p.layers))


def test_llama70b_parameter_count_and_linear_flops():
    # DATA.md C.1: 70,553,706,496 parameters (untied embeddings)
    p = ridgeline.profile("llama-3-70b", batch=1, seq_len=1024, phase="decode")
    assert p.totals.params == 70_553_706_496
    # every weight except the embedding table and the RMSNorm gains (2 per block + final,
    # 8192 each) is used once per token by a Linear: 2 FLOPs each -> 139.0 GFLOP per token
    norm_gains = (2 * 80 + 1) * 8192
    linear_flops = sum(e.flops for e in p.layers if e.kind == "linear")
    assert linear_flops == 2 * (70_553_706_496 - 128_256 * 8192 - norm_gains)


def test_llama70b_operating_points_data_c2():
    # FP8 batch 1: 70.6 GB of weights / 3.35 TB/s = 21 ms per token (DATA.md C.2, E)
    fp8 = ridgeline.profile("llama-3-70b", dtype="fp8", batch=1, seq_len=8192, phase="decode")
    assert 0.021 < fp8.totals.time_s < 0.0225
    assert fp8.totals.bound == "memory"
    # prefill S = 2048, causal attention: 80 . 4 . 64 . 128 . 2048 . 2049 / 2 = 5.50 TFLOP
    pre = ridgeline.profile("llama-3-70b", batch=1, seq_len=2048, phase="prefill")
    assert pre.layer("attention").flops == pytest.approx(5.5e12, rel=0.01)
    assert pre.layer("gate_proj").bound == "compute"


def test_capacity_check():
    # DATA.md C.1: BF16 70B weights (141 GB) do not fit one 80 GB H100; FP8 (70.6 GB) does
    bf16 = ridgeline.profile("llama-3-70b", dtype="bf16")
    fp8 = ridgeline.profile("llama-3-70b", dtype="fp8", batch=1, seq_len=8192)
    assert not bf16.capacity.fits and "does not fit" in bf16.capacity.message()
    assert fp8.capacity.fits
    # KV cache: 2 . L . H_kv . d . T . B . s = 2 . 80 . 8 . 128 . 8192 . 1 . 2 = 2.68 GB (BF16)
    assert bf16.capacity.kv_cache_bytes == 2 * 80 * 8 * 128 * 8192 * 2
    # three 8k-token BF16 KV caches fit next to FP8 weights; a 64-sequence batch does not
    assert not ridgeline.profile("llama-3-70b", dtype="fp8", batch=64, seq_len=8192).capacity.fits


def test_weights_go_to_flash_when_they_exceed_sram():
    # Ethos-U55: 1 MB of INT8 weights > 512 KB SRAM -> weight store (flash, 0.5 GB/s, S19b)
    e = estimate(linear(1, 1024, 1024), "ethos-u55", "int8")
    assert e.weights_in == "weight_store"
    assert e.time_memory_s == pytest.approx(1024 * 1024 / 0.5e9 + (1024 + 1024) / 4e9)
    # the ridge seen by these bytes tends to peak / flash BW = 512 instead of 64
    assert 500 < e.ridge <= 512
    small = estimate(linear(1, 256, 256), "ethos-u55", "int8")    # 64 KB: fits SRAM
    assert small.weights_in == "memory" and small.ridge == pytest.approx(64)
    # flash costs more energy per byte than SRAM (both estimates, U1 / S22b)
    assert e.energy_memory_j > 1024 * 1024 * 12.5e-12


def test_profile_places_the_whole_model_once():
    # a model whose weights exceed the MCU's SRAM streams every layer's weights from flash
    layers = [Layer("fc1", linear(1, 512, 512)), Layer("fc2", linear(1, 512, 1024)),
              Layer("fc3", linear(1, 1024, 64))]        # 256 + 512 + 64 KiB = 832 KiB INT8
    p = ridgeline.profile("llama-3-8b", hardware="ethos-u55", dtype="int8", layers=layers)
    assert p.capacity.weights_in == "weight_store" and p.capacity.fits
    assert all(e.weights_in == "weight_store" for e in p.layers)
    assert p.layer("fc1").ridge > 64 * 7          # would be 64 against SRAM


def test_json_contract():
    d = ridgeline.op("gemm", m=64, n=64, k=64).to_dict()
    for key in ("name", "kind", "macs", "flops", "bytes", "intensity", "ridge", "bound",
                "time_s", "energy_j", "hardware", "dtype"):
        assert key in d
    assert set(d["bytes"]) >= {"weights", "inputs", "outputs", "kv_cache", "total"}
    assert d["flops"] == 2 * d["macs"]
    assert d["bound"] in ("memory", "compute")
    p = ridgeline.profile("llama-3-8b").to_dict()
    assert "layers" in p and "totals" in p and "capacity" in p


def test_array_estimate_matches_scalar():
    ms = np.array([1, 64, 512, 4096])
    vec = estimate(linear(ms, 4096, 4096), "a100-80gb", "bf16")
    for i, m in enumerate(ms):
        one = estimate(linear(int(m), 4096, 4096), "a100-80gb", "bf16")
        assert vec.intensity[i] == pytest.approx(one.intensity)
        assert vec.time_s[i] == pytest.approx(one.time_s)
        assert vec.bound[i] == one.bound


def test_decode_attention_gets_the_kv_cache_bytes():
    e = estimate(Attention(8, 64, 8, 128, 4096, "decode"), "h100-sxm", "bf16")
    assert e.bytes.kv_cache == 2 * 8 * 8 * 4096 * 128 * 2     # 2.B.H_kv.T.d.s
    assert e.bound == "memory"


def test_formulas_doc_examples_are_what_the_code_computes():
    # docs/formulas.md pastes ridgeline's output after each equation; run it as a doctest so
    # the worked numbers cannot drift from the code
    import doctest
    from pathlib import Path

    doc = Path(__file__).resolve().parents[1] / "docs" / "formulas.md"
    result = doctest.testfile(str(doc), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 40
    assert result.failed == 0


def test_weights_share_sram_with_activations():
    # 448 KiB of INT8 weights fit the Ethos-U55's 512 KiB SRAM alone, but not beside a
    # 128 x 512 input and 128 x 896 output (64 + 112 KiB): they go to flash
    alone = estimate(linear(1, 512, 896), "ethos-u55", "int8")
    crowded = estimate(linear(128, 512, 896), "ethos-u55", "int8")
    assert alone.weights_in == "memory"
    assert crowded.weights_in == "weight_store"
    layers = [Layer("fc", linear(128, 512, 896))]
    p = ridgeline.profile("llama-3-8b", hardware="ethos-u55", dtype="int8", layers=layers)
    assert p.capacity.weights_in == "weight_store" and p.capacity.fits


def test_total_is_the_left_fold_of_plus():
    """total() sums field by field in one pass; it must equal e0 + e1 + ... exactly."""
    from functools import reduce

    from ridgeline.api import profile
    from ridgeline.roofline import total
    layers = profile("resnet50", "jetson-agx-orin", "int8", "placed", batch=1,
                     resolution=(640, 480)).layers
    fast, fold = total(layers), reduce(lambda a, b: a + b, layers)
    for f in ("macs", "flops", "time_s", "energy_j", "params", "onchip_bytes", "arithmetic_bytes"):
        assert getattr(fast, f) == getattr(fold, f), f
    assert fast.bytes == fold.bytes and fast.name == "total" and fast.count == 1


def test_placement_scalar_path_equals_the_array_path():
    """place() on one setting (plain numbers) gives what the numpy path gives for it."""
    import numpy as np

    from ridgeline import placement
    from ridgeline.recipes import Workload, get_model
    layers = get_model("mobilenet-v2").build(Workload(batch=1, resolution=(640, 480)))
    scalar = placement.place(layers, 2_000_000)
    arrays = placement.place(layers, np.array([2_000_000]))
    for s, a in zip(scalar, arrays):
        assert (s.inputs, s.outputs, s.scratch, s.reason) == (
            float(np.ravel(a.inputs)[0]) if np.ndim(a.inputs) else a.inputs,
            float(np.ravel(a.outputs)[0]) if np.ndim(a.outputs) else a.outputs,
            float(np.ravel(a.scratch)[0]) if np.ndim(a.scratch) else a.scratch, a.reason)


def test_an_encoder_holds_no_kv_cache():
    """Non-causal prefill attention (an encoder) keeps K and V as activations, not a cache; a
    causal prefill (a decoder filling its cache) and decode do hold one."""
    from ridgeline.ops import Attention
    from ridgeline.pipeline import Layer, kv_cache_elements
    enc = Attention(2, 12, 12, 64, 512, "prefill", causal=False)
    dec = Attention(2, 12, 12, 64, 512, "prefill", causal=True)
    step = Attention(2, 12, 12, 64, 512, "decode")
    assert kv_cache_elements(Layer("a", enc, 12)) == 0
    assert kv_cache_elements(Layer("a", dec, 12)) == kv_cache_elements(Layer("a", step, 12)) \
        == 2 * 2 * 12 * 512 * 64 * 12
