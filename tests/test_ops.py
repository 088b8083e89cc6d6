"""Operators: known answers (arithmetic in the comments), the issue's modelling claims, bad input.

Formulas: DATA.md D.2 (GEMM, S40), D.3 (conv, S41), D.4 (attention/GQA/KV, S37, S38),
D.5 (FlashAttention IO, S36). FLOPs = 2 x MACs throughout.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import ridgeline
from ridgeline.errors import RidgelineError
from ridgeline.ops import (
    MEMORY_MODELS,
    Attention,
    Conv2d,
    Elementwise,
    Embedding,
    Gemm,
    OnChip,
    Pool2d,
    conv2d,
    depthwise_separable,
    linear,
    norm,
)
from ridgeline.recipes import get_model
from ridgeline.roofline import estimate

BF16, INT8 = 2.0, 1.0  # bytes per element


def intensity(op, s):
    """FLOPs / compulsory bytes, straight from the operator (no hardware involved)."""
    return op.flops() / (op.traffic().total * s)


# --------------------------------------------------------------------------- GEMM / Linear

def test_square_gemm_known_answer():
    g = Gemm(4096, 4096, 4096)
    assert g.macs() == 4096**3                      # 68,719,476,736
    assert g.flops() == 2 * 4096**3                 # 137,438,953,472
    assert g.traffic().total == 3 * 4096**2         # A, B read once; C written once
    # 2N^3 / (3 N^2 s) = 2N / (3s) = 8192 / 6
    assert intensity(g, BF16) == pytest.approx(8192 / 6)


def test_gemm_traffic_is_named():
    t = Gemm(m=8, n=3, k=5).traffic()
    assert (t.inputs, t.weights, t.outputs) == (8 * 5, 5 * 3, 8 * 3)   # A = inputs, B = weights
    t = Gemm(m=8, n=3, k=5, weight_operand=False).traffic()          # activation x activation
    assert (t.inputs, t.weights) == (8 * 5 + 5 * 3, 0)
    assert Gemm(8, 3, 5, bias=True).params() == 5 * 3 + 3


def test_linear_folds_batch_and_tokens_into_m():
    layers = get_model("llama-3-70b").build(
        get_model("llama-3-70b").workload(batch=4, seq_len=512, phase="prefill"))
    q = next(l.op for l in layers if l.name == "q_proj")
    assert (q.m, q.k, q.n) == (4 * 512, 8192, 8192)
    assert linear(tokens=4 * 512, d_in=8192, d_out=1024) == Gemm(2048, 1024, 8192, kind="linear")


@pytest.mark.parametrize("batch", [1, 2, 8, 16])
def test_linear_decode_intensity_is_about_2b_over_s(batch):
    # M = B << K, N: 2BNK / (s(BK + KN + BN)) -> 2B/s ... = B FLOP/B in BF16 (DATA.md C.2)
    i = intensity(linear(batch, 8192, 28672), BF16)
    assert i == pytest.approx(batch, rel=0.01)
    assert i < batch                      # the activations only ever add bytes


# --------------------------------------------------------------------------- Conv2d

def test_resnet_stem_conv_known_answer():
    # 7x7/2 pad 3: 3x224x224 -> 64x112x112 (DATA.md C.3): 112.112.64.(3.7.7) = 118,013,952 MACs
    c = Conv2d(1, 3, 64, 224, 224, 7, 7, stride=2, padding=3)
    assert (c.out_height, c.out_width) == (112, 112)
    assert c.params() == 64 * 3 * 7 * 7 == 9408
    assert c.macs() == 118_013_952
    assert c.flops() == 2 * 118_013_952
    t = c.traffic()
    assert (t.inputs, t.weights, t.outputs) == (3 * 224 * 224, 9408, 64 * 112 * 112)


@pytest.mark.parametrize("h,k,s,p,d,expect", [
    (224, 3, 1, 1, 1, 224),   # 'same'
    (224, 3, 2, 1, 1, 112),   # floor((224 + 2 - 3)/2) + 1 = 112
    (7, 3, 1, 0, 1, 5),       # valid
    (32, 3, 1, 2, 2, 32),     # dilation 2 spans 5: (32 + 4 - 5)/1 + 1
    (10, 3, 3, 0, 2, 2),      # span 5: floor(5/3) + 1 = 2
    (5, 5, 1, 0, 1, 1),       # kernel == input
])
def test_conv_output_size(h, k, s, p, d, expect):
    c = Conv2d(1, 1, 1, h, h, k, k, stride=s, padding=p, dilation=d)
    assert c.out_height == c.out_width == expect


def test_groups_divide_weights_and_macs():
    full = Conv2d(2, 64, 128, 28, 28, 3, 3, padding=1)
    half = Conv2d(2, 64, 128, 28, 28, 3, 3, padding=1, groups=4)
    assert half.params() * 4 == full.params()
    assert half.macs() * 4 == full.macs()


def test_depthwise_is_groups_equal_channels():
    dw = conv2d(1, 32, 32, 112, 112, 3, groups=32)
    assert dw.is_depthwise and not dw.is_pointwise
    assert dw.params() == 32 * 9                       # C . K^2: one 3x3 filter per channel
    assert dw.macs() == 112 * 112 * 32 * 9             # N.H_out.W_out.C.K^2


@pytest.mark.parametrize("stride,expect", [(1, 9.0), (2, 3.6)])
def test_depthwise_intensity_is_intrinsically_low(stride, expect):
    # 2K^2 / (s (S^2 + 1)) in INT8: 3x3 -> 18/2 = 9 (S = 1), 18/5 = 3.6 (S = 2)  [DATA.md D.3]
    dw = conv2d(1, 256, 256, 1024, 1024, 3, stride=stride, groups=256)
    assert intensity(dw, INT8) == pytest.approx(expect, rel=0.01)


def test_pointwise_is_a_gemm():
    # 1x1 conv == GEMM with M = N.H.W, K = C_in, N = C_out
    pw = conv2d(2, 96, 24, 56, 56, 1, padding=0)
    g = Gemm(m=2 * 56 * 56, n=24, k=96)
    assert pw.is_pointwise
    assert pw.macs() == g.macs()
    assert pw.traffic().total == g.traffic().total
    assert pw.traffic().weights == g.traffic().weights


@pytest.mark.parametrize("c_in,c_out,k", [(32, 64, 3), (144, 24, 3), (512, 512, 5)])
def test_depthwise_separable_cost_ratio(c_in, c_out, k):
    # Howard et al. 2017 (S41): (DW + PW) / standard = 1/C_out + 1/K^2 (stride 1, 'same')
    dw, pw = depthwise_separable(1, c_in, c_out, 28, 28, kernel=k)
    std = conv2d(1, c_in, c_out, 28, 28, k)
    assert (dw.macs() + pw.macs()) / std.macs() == pytest.approx(1 / c_out + 1 / k**2)
    assert dw.is_depthwise and pw.is_pointwise


def test_depthwise_separable_cuts_flops_and_intensity():
    # MobileNet-like 3x3, 144 -> 144 at 56x56 INT8: FLOPs drop ~8x, intensity drops more
    dw, pw = depthwise_separable(1, 144, 144, 56, 56)
    std = conv2d(1, 144, 144, 56, 56, 3)
    sep_flops = dw.flops() + pw.flops()
    sep_bytes = dw.traffic().total + pw.traffic().total
    assert 7 < std.flops() / sep_flops < 9
    assert sep_flops / sep_bytes < intensity(std, INT8) / 8


# --------------------------------------------------------------------------- Attention

def test_attention_prefill_flops_and_causal_halving():
    b, h, d, t = 2, 8, 64, 1024
    full = Attention(b, h, h, d, t, "prefill", causal=False)
    causal = Attention(b, h, h, d, t, "prefill", causal=True)
    # QK^T and PV: 2 x (2.B.H.T^2.d) FLOPs
    assert full.flops() == 4 * b * h * t * t * d
    # causal keeps T(T+1)/2 of the T^2 (query, key) pairs
    assert causal.flops() == 4 * b * h * d * t * (t + 1) // 2
    assert causal.flops() / full.flops() == pytest.approx((t + 1) / (2 * t))


def test_attention_decode_reads_the_whole_kv_cache():
    # Llama-3-70B layer, batch 4, context 8192, BF16
    a = Attention(4, 64, 8, 128, 8192, "decode", flash=True)
    t = a.traffic()
    assert t.kv_cache == 2 * 4 * 8 * 8192 * 128           # K and V: 2.B.H_kv.T.d elements
    assert t.inputs == t.outputs == 4 * 64 * 128          # one query row per head
    assert a.flops() == 4 * 4 * 64 * 128 * 8192           # 4.B.H.d.T  (DATA.md D.4)
    # 2.(H/H_kv)/s = 2 . 8 / 2 = 8 FLOP/B, whatever B and T
    assert intensity(a, BF16) == pytest.approx(8, rel=0.01)
    for b, ctx in ((1, 1024), (64, 32768)):
        assert intensity(Attention(b, 64, 8, 128, ctx, "decode", flash=True), BF16) == \
            pytest.approx(8, rel=0.01)


def test_gqa_cuts_kv_traffic_not_flops():
    mha = Attention(1, 64, 64, 128, 4096, "decode", flash=True)
    gqa = Attention(1, 64, 8, 128, 4096, "decode", flash=True)
    assert mha.flops() == gqa.flops()
    assert mha.traffic().kv_cache == 8 * gqa.traffic().kv_cache
    assert intensity(mha, BF16) == pytest.approx(1, rel=0.01)    # MHA: 2/s = 1 FLOP/B


def test_llama70b_decode_attention_flops_per_token():
    # DATA.md C.2: 4.L.H.d_h.T = 4 . 80 . 64 . 128 = 2,621,440 FLOP per context token
    p = ridgeline.profile("llama-3-70b", batch=1, seq_len=1024, phase="decode")
    assert p.layer("attention").flops == 4 * 80 * 64 * 128 * 1024


def test_standard_attention_materializes_scores_flash_does_not():
    b, h, d, t = 1, 8, 128, 4096
    std = Attention(b, h, h, d, t, "prefill").traffic()
    flash = Attention(b, h, h, d, t, "prefill", flash=True).traffic(onchip=OnChip(1e9, 1e9))
    assert std.scratch == 4 * b * h * t * t     # S and P written and read back
    assert flash.scratch == 0


def test_standard_attention_intensity_tends_to_d_over_4_in_bf16():
    # causal: 2.B.H.d.T(T+1) FLOPs / (2 bytes . 4.B.H.T^2 scratch) -> d / (2s) = d/4
    for d in (64, 128):
        a = Attention(1, 8, 8, d, 65536, "prefill")
        assert intensity(a, BF16) == pytest.approx(d / 4, rel=0.01)


def _flash(t, d, m, causal=False, heads=1):
    # Dao et al. 2022 Alg. 1 is the "tiled" model (the L2 -> SM level; docs/formulas.md §6)
    a = Attention(1, heads, heads, d, t, "prefill", causal=causal, flash=True)
    onchip = OnChip(capacity=m, tile=m)
    assert a.traffic("tiled", onchip) == a.tile_traffic(onchip)
    return a.traffic("tiled", onchip).total


def test_flash_equals_compulsory_when_everything_fits():
    # T <= B_c = ceil(M / 4d): one pass; Q, K, V read once and O written once
    t, d, m = 256, 64, 4 * 64 * 256
    for causal in (False, True):
        assert _flash(t, d, m, causal) == 4 * t * d


def test_flash_matches_dao_algorithm_1_count():
    # B_c = M/4d = 64, T_c = 4096/64 = 64 passes: Q read T_c times, K and V once, O read and
    # written ~2.T_c times: N.d.T_c + 2.N.d + N.d.(2.T_c - 1)
    n, d, m = 4096, 64, 4 * 64 * 64
    t_c = 64
    assert _flash(n, d, m) == n * d * t_c + 2 * n * d + n * d * (2 * t_c - 1)


def test_flash_traffic_scales_as_n2_d2_over_m():
    # Theta(N^2 d^2 / M) (Dao et al. 2022, Thm 2): x4 for 2N, x4 for 2d, x1/2 for 2M
    n, d, m = 65536, 64, 65536
    base = _flash(n, d, m)
    assert _flash(2 * n, d, m) / base == pytest.approx(4, rel=0.01)
    assert _flash(n, 2 * d, m) / base == pytest.approx(4, rel=0.02)
    assert _flash(n, d, 2 * m) / base == pytest.approx(0.5, rel=0.02)
    # ... and the constant is Dao's: 3.N.d.T_c with T_c = 4.N.d/M  ->  12.N^2.d^2/M
    assert base == pytest.approx(12 * n**2 * d**2 / m, rel=0.01)


def test_flash_moves_fewer_bytes_than_standard():
    onchip = ridgeline.get_hardware("h100-sxm").onchip_elements("bf16")
    for t in (512, 8192):
        std = Attention(1, 64, 8, 128, t, "prefill").traffic()
        for model in MEMORY_MODELS:   # Alg. 1 tiles, FA2/3 HBM and compulsory alike
            fl = Attention(1, 64, 8, 128, t, "prefill", flash=True).traffic(model, onchip)
            assert fl.total < std.total, model


# --------------------------------------------------------------------------- bandwidth ops

def _bandwidth_ops():
    return [Elementwise("add", 4096 * 8192, reads=2), Elementwise("gelu", 10**7),
            Elementwise("softmax", 64 * 4096 * 4096), norm("rmsnorm", 4096, 8192),
            norm("layernorm", 196, 768), Pool2d(1, 64, 112, 112, 3, 2),
            Pool2d(1, 2048, 7, 7, 7, 7), Embedding(2048, 128_256, 8192)]


def test_bandwidth_ops_do_no_macs():
    for op in _bandwidth_ops():
        assert op.macs() == 0
        assert op.flops() >= 0


def test_bandwidth_ops_are_memory_bound_everywhere():
    # Their intensity is a few FLOPs per element / bytes per element (at most ~4.5 op/B: a
    # 3x3 INT8 pool), below every ridge in the registry except the Cortex-M7's (0.5-1).
    for key, hw in ridgeline.hardware_registry().items():
        for dtype in hw.dtypes:
            for op in _bandwidth_ops():
                e = estimate(op, hw, dtype)
                if hw.ridge(dtype) >= 2:
                    assert e.bound == "memory", (key, dtype, op)


def test_bandwidth_ops_can_be_compute_bound_on_the_m7():
    # DATA.md A.4: the M7's ridge is ~1 op/B in INT8 - a GELU (8 FLOPs per element, 2 bytes
    # moved per element in INT8 -> 4 op/B) is compute-bound there, memory-bound on an H100.
    gelu = Elementwise("gelu", 10**5)
    assert estimate(gelu, "cortex-m7", "int8").bound == "compute"
    assert estimate(gelu, "h100-sxm", "int8").bound == "memory"


def test_elementwise_flops_per_element():
    # residual add: 1 FLOP per output, 2 reads + 1 write
    add = Elementwise("add", 1000, reads=2)
    assert add.flops() == 1000 and add.traffic().total == 3000
    # global 7x7 average pool over 2048 channels: 49 adds per output (a reduction)
    gap = Elementwise("avgpool", 2048, reads=49)
    assert gap.flops() == 2048 * 49 and gap.traffic().inputs == 2048 * 49
    assert Elementwise("prelu", 10, weights=1).flops() == 20


def test_embedding_moves_rows_not_the_table():
    e = Embedding(tokens=16, vocab=128_256, dim=8192)
    assert e.params() == 128_256 * 8192                 # footprint held
    assert e.traffic().weights == 16 * 8192             # traffic moved: the gathered rows
    assert e.flops() == 0


# --------------------------------------------------------------------------- tiled memory model

def test_tiled_equals_compulsory_when_operands_fit():
    onchip = OnChip(capacity=1e6, tile=1e5)
    for g in (Gemm(64, 64, 64), Gemm(1, 100_000, 4)):   # the second is skinny: N > sqrt(S)
        assert g.traffic("tiled", onchip) == g.traffic("compulsory")
    c = conv2d(1, 16, 16, 32, 32, 3)
    assert c.traffic("tiled", onchip).total == c.traffic().total


def test_tiled_gemm_is_hong_kung_order_when_it_spills():
    # S = 2^20 elements, t = 1024: A re-read N/t, B re-read M/t -> 2MNK/t + MN
    s, n = 2**20, 16384
    g = Gemm(n, n, n)
    assert g.traffic("tiled", OnChip(s, s)).total == pytest.approx(2 * n**3 / math.sqrt(s) + n * n)


def test_tiled_never_below_compulsory():
    onchip = OnChip(capacity=4096, tile=4096)
    for g in (Gemm(1, 8192, 8192), Gemm(4096, 4096, 4096), Gemm(7, 100, 3)):
        assert g.traffic("tiled", onchip).total >= g.traffic().total


# --------------------------------------------------------------------------- bad input

BAD_SIZES = [0, -1, float("nan"), float("inf"), 10**12, 2.5, "8", None, True]


@pytest.mark.parametrize("bad", BAD_SIZES)
def test_bad_gemm_sizes(bad):
    with pytest.raises(RidgelineError, match="m "):
        Gemm(bad, 4, 4)


@pytest.mark.parametrize("bad", BAD_SIZES)
def test_bad_conv_and_attention_sizes(bad):
    with pytest.raises(RidgelineError, match="height"):
        Conv2d(1, 3, 8, bad, 32, 3, 3)
    with pytest.raises(RidgelineError, match="seq_len"):
        Attention(1, 8, 8, 64, bad)


def test_bad_sizes_have_clear_messages():
    with pytest.raises(RidgelineError, match="at least 1, got 0"):
        Gemm(0, 4, 4)
    with pytest.raises(RidgelineError, match="whole number"):
        Gemm(2.5, 4, 4)
    with pytest.raises(RidgelineError, match="finite"):
        Gemm(float("nan"), 4, 4)
    with pytest.raises(RidgelineError, match="beyond the supported maximum"):
        Gemm(10**12, 4, 4)
    with pytest.raises(RidgelineError, match="at least 0"):
        Conv2d(1, 3, 8, 32, 32, 3, 3, padding=-1)


def test_groups_must_divide_channels():
    with pytest.raises(RidgelineError, match="groups=3 must divide"):
        Conv2d(1, 32, 64, 16, 16, 3, 3, groups=3)
    with pytest.raises(RidgelineError, match="must divide"):
        Conv2d(1, 32, 30, 16, 16, 3, 3, groups=4)


def test_kernel_larger_than_padded_input():
    with pytest.raises(RidgelineError, match="output would be empty"):
        Conv2d(1, 3, 8, 4, 4, 7, 7, padding=1)
    with pytest.raises(RidgelineError, match="output would be empty"):
        Conv2d(1, 3, 8, 8, 8, 3, 3, dilation=4)       # spans 9 > 8
    with pytest.raises(RidgelineError, match="output would be empty"):
        Pool2d(1, 3, 2, 2, 3, 1)
    Conv2d(1, 3, 8, 4, 4, 7, 7, padding=2)             # 4 + 4 >= 7: fine


def test_kv_heads_must_divide_heads():
    with pytest.raises(RidgelineError, match="kv_heads=3 must divide heads=8"):
        Attention(1, 8, 3, 64, 128)
    with pytest.raises(RidgelineError, match="must divide"):
        Attention(1, 8, 16, 64, 128)
    with pytest.raises(RidgelineError, match="phase"):
        Attention(1, 8, 8, 64, 128, phase="train")


def test_unknown_names():
    with pytest.raises(RidgelineError, match="unknown dtype 'fp64'"):
        estimate(Gemm(4, 4, 4), "h100-sxm", "fp64")
    with pytest.raises(RidgelineError, match="unknown hardware 'tpu-v9'"):
        estimate(Gemm(4, 4, 4), "tpu-v9", "bf16")
    with pytest.raises(RidgelineError, match="unknown memory model 'magic'"):
        estimate(Gemm(4, 4, 4), "h100-sxm", "bf16", "magic")
    with pytest.raises(RidgelineError, match="unknown memory model"):
        Gemm(4, 4, 4).traffic("magic")
    with pytest.raises(RidgelineError, match="unknown op"):
        ridgeline.op("lstm", m=1)


def test_dtype_the_device_lacks():
    with pytest.raises(RidgelineError, match="ethos-u55 has no bf16 peak; it supports: int8"):
        estimate(Gemm(4, 4, 4), "ethos-u55", "bf16")
    with pytest.raises(RidgelineError, match="a100-80gb has no fp8 peak"):
        ridgeline.op("gemm", hardware="a100-80gb", dtype="fp8", m=4, n=4, k=4)


def test_make_op_missing_or_unknown_dimension():
    with pytest.raises(RidgelineError, match="gemm needs k"):
        ridgeline.op("gemm", m=4, n=4)
    with pytest.raises(RidgelineError, match="does not take kv_head"):
        ridgeline.op("attention", batch=1, heads=8, kv_heads=8, kv_head=2, head_dim=64, seq_len=16)


def test_weight_store_on_a_device_without_one():
    with pytest.raises(RidgelineError, match="no separate weight store"):
        estimate(Gemm(4, 4, 4), "h100-sxm", "bf16", weights_in="weight_store")


def test_array_sizes_are_validated_too():
    with pytest.raises(RidgelineError, match="finite"):
        Gemm(np.array([1.0, np.nan]), 4, 4)
    with pytest.raises(RidgelineError, match="must lie in"):
        Gemm(np.array([0, 4]), 4, 4)


def test_tiled_skinny_gemm_uses_a_full_width_tile():
    # H100 L2: S = 52,428,800 B / 2 = 26,214,400 BF16 elements, sqrt(S) = 5,120 > N = 4,096:
    # the tile spans all N columns (A read once) and r = S / N = 6,400 rows, so B is read
    # M / r = 30,000 / 6,400 = 4.6875 times:
    # 245,760,000 + 33,554,432 x 4.6875 + 122,880,000 = 525,926,400 elements = 1.0519 GB
    # (a square 5,120 tile would read B 5.86 times: 1.13 GB, the old over-count)
    from ridgeline import estimate
    e = estimate(Gemm(30_000, 4096, 8192), "h100-sxm", "bf16", "tiled")
    assert e.bytes.total == pytest.approx(525_926_400 * 2, rel=1e-12)
