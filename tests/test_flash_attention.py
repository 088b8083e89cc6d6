"""FlashAttention's three memory models (docs/formulas.md §6), against hand arithmetic.

compulsory: Q, K, V read and O written once.  placed: FlashAttention-2/3 prefill's HBM bytes,
s.[2.B.H.T.d + 2.B.H_kv.T.d.rho], rho = max(1, G.T / (B_r.W)) (causal (rho + 1)/2), G = H/H_kv,
B_r = 128, W = SMs.  tiled: Dao et al. 2022 Alg. 1 with M = shared memory per SM (the L2 -> SM
level). Llama-3-70B shapes: H = 64, H_kv = 8, d = 128, bf16, batch 1, causal; H100 SXM bf16
ridge R = 989.4e12 / 3.35e12 = 295.34 FLOP/B.
"""

from __future__ import annotations

import numpy as np
import pytest

import ridgeline
from ridgeline.hardware import sources
from ridgeline.ops import MEMORY_MODELS, Attention, OnChip
from ridgeline.roofline import estimate

H, HKV, D = 64, 8, 128
LLAMA = "llama-3-70b"
H100 = ridgeline.get_hardware("h100-sxm")
ONCHIP = H100.onchip_elements("bf16")
RIDGE = 989.4e12 / 3.35e12                      # 295.34 FLOP/B
#: rho = 1 below G.T = B_r.W: I = 2.H.d.T(T+1) / (2 . 2.T.d.(H + H_kv)) = H(T+1) / (2(H + H_kv))
#: = 64 (T+1) / 144; equal to R at T + 1 = 144 R / 64 = 664.52
KERNEL_CROSSOVER = 2 * RIDGE * (H + HKV) / H - 1   # 663.5 tokens


def _prefill(t, **kw):
    return Attention(1, H, HKV, D, t, "prefill", flash=True, **kw)


def _op(t, model="placed"):
    return ridgeline.op("attention", batch=1, heads=H, kv_heads=HKV, head_dim=D, seq_len=t,
                        phase="prefill", flash=True, memory_model=model)


# ----------------------------------------------------------------- the registry's cores

def test_cores_are_the_sm_counts_and_default_to_one():
    # H100 SXM 132 SMs (S2), PCIe 114 (S4), A100 108 (S10), Orin GPU 16 = 2,048 / 128 (S13)
    expected = {"h100-sxm": 132, "h100-pcie": 114, "a100-80gb": 108, "jetson-agx-orin": 16,
                "jetson-agx-orin:30w": 16, "laptop-cpu": 1, "cortex-m7": 1}
    for key, cores in expected.items():
        assert ridgeline.get_hardware(key).onchip_elements("fp32").cores == cores, key
    fig = H100.onchip.cores
    assert (fig.value, fig.source) == (132, "S2") and "132 SMs" in sources()["S2"]
    assert ONCHIP == OnChip(capacity=52428800 / 2, tile=233472 / 2, cores=132)


# ----------------------------------------------------------------- the three models, by hand

def test_compulsory_is_every_operand_once():
    a = _prefill(8192)
    q = o = H * 8192 * D                        # 67,108,864
    kv = 2 * HKV * 8192 * D                     # 16,777,216
    for onchip in (None, ONCHIP):
        t = a.traffic("compulsory", onchip)
        assert (t.inputs, t.outputs, t.scratch) == (q + kv, o, 0)


def test_placed_reads_kv_once_per_wave_of_resident_query_tiles():
    # B_r = min(128, ceil(116,736 / 512) = 228) = 128; W = 132; G = 8
    a = _prefill(8192)
    assert a.query_block(ONCHIP) == 128
    waves = 8 * 8192 / (128 * 132)              # 65,536 / 16,896 = 3.879 waves
    assert a.kv_passes(ONCHIP) == pytest.approx((waves + 1) / 2)   # causal: 2.439
    assert _prefill(8192, causal=False).kv_passes(ONCHIP) == pytest.approx(waves)
    rho = (waves + 1) / 2
    t = a.traffic("placed", ONCHIP)
    assert t.inputs == pytest.approx(H * 8192 * D + 2 * HKV * 8192 * D * rho)
    assert t.outputs == H * 8192 * D and t.scratch == 0
    # bytes = 2 . [2.64.8192.128 + 2.8.8192.128 . 2.439] = 350.3 MB; FLOPs = 2.H.d.T(T+1)
    e = _op(8192)
    assert e.bytes.total == pytest.approx(2 * (2 * H * 8192 * D + 2 * HKV * 8192 * D * rho))
    assert e.flops == 2 * H * D * 8192 * 8193
    assert e.intensity == pytest.approx(2 * H * D * 8192 * 8193 / 350.288e6, rel=1e-5)  # 3,139


def test_placed_kv_once_while_the_group_fits_one_wave():
    # G.T <= B_r.W = 16,896 rows, i.e. T <= 2,112: rho = 1, placed == compulsory
    for t in (256, 2048, 2112):
        assert _prefill(t).kv_passes(ONCHIP) == 1
        assert _prefill(t).traffic("placed", ONCHIP) == _prefill(t).traffic("compulsory")
    # fewer SMs (Orin's 16): 8.2048 / (128.16) = 8 waves, causal (8 + 1)/2 = 4.5
    orin = ridgeline.get_hardware("jetson-agx-orin").onchip_elements("bf16")
    assert _prefill(2048).kv_passes(orin) == pytest.approx(4.5)
    # MHA (G = 1) on the H100: 8192 / 16,896 < 1 wave
    assert Attention(1, 64, 64, D, 8192, "prefill", flash=True).kv_passes(ONCHIP) == 1


def test_tiled_is_dao_algorithm_1_and_tile_traffic_exposes_it():
    # B_c = ceil(116,736 / 512) = 228; T_c = 8192 / 228 = 35.93, causal (T_c + 1)/2 = 18.46
    a = _prefill(8192)
    assert a.traffic("tiled", ONCHIP) == a.tile_traffic(ONCHIP)
    t_c = (8192 / 228 + 1) / 2
    q = H * 8192 * D
    t = a.tile_traffic(ONCHIP)
    assert t.inputs == pytest.approx(q * t_c + 2 * HKV * 8192 * D)
    assert t.outputs == pytest.approx(q * (2 * t_c - 1))
    # the old HBM numbers, now the L2 -> SM level: ~150 FLOP/B, under the 295 ridge
    assert _op(8192, "tiled").intensity == pytest.approx(149.9, abs=0.05)
    assert _op(65536, "tiled").intensity == pytest.approx(151.7, abs=0.05)


def test_placed_estimate_reports_the_tile_traffic_as_on_chip_bytes():
    a = _prefill(8192)
    e = estimate(a, H100, "bf16", "placed")
    extra = a.tile_traffic(ONCHIP).total - a.traffic("placed", ONCHIP).total
    assert e.onchip_bytes == pytest.approx(2 * extra)       # bf16: 2 bytes per element


def test_compulsory_le_placed_le_tiled_and_all_below_standard():
    for t in (128, 700, 4096, 32768):
        a = _prefill(t)
        c, p, ti = (a.traffic(m, ONCHIP).total for m in ("compulsory", "placed", "tiled"))
        assert c <= p <= ti
        assert ti < Attention(1, H, HKV, D, t, "prefill").traffic().total


def test_placed_intensity_rises_smoothly_with_t():
    # rho is continuous: no saw-tooth, so a sweep over T sees one crossover
    t = np.arange(100, 200_000, 37)
    i = estimate(_prefill(t), H100, "bf16", "placed").intensity
    assert np.all(np.diff(i) > 0)


# ----------------------------------------------------------------- Llama-3-70B on the H100

def test_llama70b_prefill_attention_memory_bound_at_256_compute_bound_at_8k():
    # T = 256: I = 64 . 257 / 144 = 114.2 < 295 (the op alone; the profile below also places
    # tensors in L2, which only lowers the HBM bytes)
    assert _op(256).intensity == pytest.approx(64 * 257 / 144)
    assert _op(256).bound == "memory"
    assert _op(8192).bound == "compute"
    prof = {t: ridgeline.profile(LLAMA, "h100-sxm", "bf16", "placed", batch=1, seq_len=t,
                                 phase="prefill", flash=True).layer("attention") for t in (256, 8192)}
    assert prof[256].bound == "memory" and prof[8192].bound == "compute"
    assert prof[8192].intensity == pytest.approx(_op(8192).intensity)


def test_llama70b_8k_prefill_attains_the_compute_peak():
    # the roofline's ceiling: 989.4 TFLOP/s dense bf16 (S1). Measured FA3 at d = 128 reaches
    # 590-621 TFLOP/s at 4k-16k tokens (S36d), ~60 % of it; "up to 740" FP16 (S36c)
    e = ridgeline.profile(LLAMA, "h100-sxm", "bf16", "placed", batch=1, seq_len=8192,
                          phase="prefill", flash=True).layer("attention")
    assert e.attainable_flops == pytest.approx(H100.peak("bf16"))
    assert 614.2e12 / e.attainable_flops == pytest.approx(0.62, abs=0.01)
    # the old model (Alg. 1 tiles as HBM traffic) capped it at 149.9 x 3.35e12 = 502 TFLOP/s
    assert _op(8192, "tiled").attainable_flops == pytest.approx(149.9 * 3.35e12, rel=1e-3)


def test_llama70b_kernel_crosses_between_500_and_2000_tokens():
    # the FA2/3 kernel alone: T* = 144 R / 64 - 1 = 663.5 tokens
    assert 500 < KERNEL_CROSSOVER < 2000
    assert KERNEL_CROSSOVER == pytest.approx(663.5, abs=0.05)
    assert (_op(663).bound, _op(664).bound) == ("memory", "compute")


def test_llama70b_model_crossover_is_the_kernels_and_lies_between_500_and_2000_tokens():
    # the placement pass leaves an attention kernel's Q, K, V and O in HBM (three producers
    # feed it; FA3 writes O to HBM), so inside the whole model the layer crosses where the
    # kernel alone does: 663.5 tokens, inside the 500-2,000 band the measured FA3 implies
    c = ridgeline.crossover(LLAMA, "attention", "seq-len", phase="prefill", flash=True,
                            memory_model="placed")
    assert c.crossover is not None and c.direction == "memory->compute"
    assert 500 < c.crossover < 2000
    assert c.crossover == pytest.approx(KERNEL_CROSSOVER, rel=1e-4)  # bisection vs kernel solve


@pytest.mark.parametrize("param", ["batch", "seq-len"])
def test_llama70b_decode_attention_never_crosses(param):
    # one query row reads K and V once: I -> 2.(H/H_kv)/s = 2 . 8 / 2 = 8 FLOP/B
    c = ridgeline.crossover(LLAMA, "attention", param, phase="decode", flash=True,
                            memory_model="placed")
    assert c.crossover is None and "never crosses" in c.reason
    for model in MEMORY_MODELS:
        e = ridgeline.op("attention", batch=4, heads=H, kv_heads=HKV, head_dim=D, seq_len=8192,
                         phase="decode", flash=True, memory_model=model)
        assert e.intensity == pytest.approx(8, rel=0.01) and e.bound == "memory"
