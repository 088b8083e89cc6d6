"""Tiny-track recipes: causal Conv-TasNet (S32) streaming on an Ethos-U55 class MCU, and the
MLPerf Tiny DS-CNN keyword spotter (S33, S34)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ridgeline import get_hardware, profile, sweep
from ridgeline.ops import Conv2d, Gemm
from ridgeline.recipes import Workload, get_model
from ridgeline.recipes.tiny import CONV_TASNET
from ridgeline.sweeping import evaluate

BUDGET_S = 0.010  # the hearable's end-to-end isolation budget (PRODUCT.md, Tiny track)


def build(key, **workload):
    r = get_model(key)
    return r.build(r.workload(**workload))


def total(layers, what):
    return sum(getattr(l.op, what)() * l.count for l in layers)


# ---------------------------------------------------------------- Conv-TasNet


def test_conv_tasnet_params_match_the_paper():
    # encoder N.L = 8,192; bottleneck 1x1 B.N = 65,536 (no bias); cLN 2.B = 256
    # each of X.R = 24 blocks: 1x1 B->H 66,048 + 2 PReLU + 2 cLN 2,048 + depthwise H.P + H 2,048
    #   + residual 1x1 65,664 + skip 1x1 65,664 = 201,474
    # mask: PReLU 1 + 1x1 B -> C.N 131,072 + 1,024 ; decoder N.L + 1 bias = 8,193
    expected = 8192 + 65_536 + 256 + 24 * 201_474 + 1 + 132_096 + 8193
    assert expected == 5_049_650
    assert total(build("conv-tasnet"), "params") == expected
    assert expected == pytest.approx(5.1e6, rel=0.01)  # "5.1M" in S32's table


def test_conv_tasnet_macs_per_frame():
    # encoder 16 x 512 + bottleneck 512 x 128 + 24 x (3 x 65,536 + 512 x 3) + masks 128 x 1,024
    # + decoder 2 sources x 512 x 16 = 4,976,640 MACs per 1 ms frame (~5 GMAC/s)
    expected = 16 * 512 + 512 * 128 + 24 * (3 * 65_536 + 512 * 3) + 128 * 1024 + 2 * 512 * 16
    assert total(build("conv-tasnet", frames=1), "macs") == expected == 4_976_640


@given(frames=st.integers(1, 2048), batch=st.integers(1, 4))
@settings(max_examples=30, deadline=None)
def test_conv_tasnet_work_is_linear_in_frames_and_params_are_not(frames, batch):
    layers = build("conv-tasnet", frames=frames, batch=batch)
    assert total(layers, "macs") == frames * batch * 4_976_640
    assert total(layers, "params") == 5_049_650


@pytest.mark.parametrize("param", ["frames", "batch"])
def test_vectorized_sweep_equals_scalar_builds(param):
    # a sweep passes float arrays through the builder: it must agree with one-at-a-time builds
    values = np.array([1.0, 2.0, 7.0, 64.0, 333.0])
    swept = evaluate("conv-tasnet", param, values)
    for i, v in enumerate(values):
        one = profile("conv-tasnet", **{param: int(v)}).totals
        assert swept.estimate.macs[i] == one.macs
        assert swept.estimate.bytes.total[i] == pytest.approx(one.bytes.total)
        assert swept.estimate.time_s[i] == pytest.approx(one.time_s)


def test_conv_tasnet_timing_is_cited_config():
    # L = 16 samples at 8 kHz = 2 ms window, hop L/2 = 1 ms (S32; reference code stride = win/2)
    cfg = get_model("conv-tasnet").config
    assert cfg is CONV_TASNET
    assert cfg.window_s == pytest.approx(0.002) and cfg.hop_s == pytest.approx(0.001)
    assert cfg.algorithmic_latency_s(1) == pytest.approx(0.002)   # fits 10 ms on paper
    assert cfg.algorithmic_latency_s(9) == pytest.approx(0.010)   # 2 ms + 8 buffered hops
    np.testing.assert_allclose(cfg.algorithmic_latency_s(np.array([1.0, 3.0])), [0.002, 0.004])


def test_conv_tasnet_tcn_layers():
    layers = {l.name: l for l in build("conv-tasnet", frames=4)}
    for x in range(8):
        dconv = layers[f"tcn.x{x}.dconv"]
        assert dconv.count == 3  # the R = 3 repeats share shapes
        assert isinstance(dconv.op, Conv2d) and dconv.op.is_depthwise
        # causal streaming: the 4 outputs touch min(F + (P-1).d, P.F) distinct input frames
        # (new + cached taps), modelled as dilation min(d, F) -> exactly F outputs, P.F MACs/ch
        assert dconv.op.dilation == min(2**x, 4)
        assert dconv.op.width == min(4 + 2 * 2**x, 3 * 4) and dconv.op.out_width == 4
        assert isinstance(layers[f"tcn.x{x}.conv1x1"].op, Gemm)
        assert layers[f"tcn.x{x}.conv1x1"].op.m == 4
    assert layers["encoder"].op.out_width == 4  # 40 samples, window 16, hop 8 -> 4 frames


def test_conv_tasnet_weights_exceed_sram_and_stream_from_flash():
    # 5,049,650 int8 weights = 5.05 MB vs the U55's 512 KB SRAM (registry)
    p = profile("conv-tasnet")
    assert (p.hardware, p.dtype, p.workload.frames) == ("ethos-u55", "int8", 1)
    sram = get_hardware("ethos-u55").memory.capacity.value
    assert p.capacity.weights_bytes == 5_049_650 > 9 * sram
    assert p.capacity.weights_in == "weight_store"
    assert all(e.weights_in == "weight_store" for e in p.layers)


def test_conv_tasnet_one_frame_is_memory_bound_and_slower_than_real_time():
    # 2 x 4.98 M ops over ~5.05 MB of weights + activations: < 2 op/B, far below the ridge;
    # 5.05 MB / 0.5 GB/s of flash = 10.1 ms of traffic per 1 ms hop of audio
    flash_bw = get_hardware("ethos-u55").weight_store.bandwidth.value
    t = profile("conv-tasnet", frames=1).totals
    assert t.arithmetic_intensity < 2.0  # the seed's (compulsory) intensity
    assert t.intensity < t.ridge / 100     # where the bytes really live (placed): still the wall
    assert t.time_s >= 5_049_650 / flash_bw > 10 * CONV_TASNET.hop_s


def test_batching_frames_regains_reuse_but_breaks_the_10_ms_budget():
    # intensity grows ~F while weights dominate; yet every F that keeps up with real time
    # (time <= F hops) buffers so much audio that window + (F-1) hops + time > 10 ms.
    s = sweep("conv-tasnet", "frames", 1, 1024, points=200)
    f, t, i = s.values, s.estimate.time_s, s.estimate.arithmetic_intensity
    assert i[f == 8][0] > 6 * i[0]  # near-linear at small F
    assert np.all(np.diff(i) > 0)
    real_time = t <= f * CONV_TASNET.hop_s
    latency = CONV_TASNET.algorithmic_latency_s(f) + t
    assert real_time.any()  # batching does eventually keep up ...
    assert not np.any(real_time & (latency <= BUDGET_S))  # ... but never within budget
    assert latency.min() > BUDGET_S


def test_conv_tasnet_gemm_intensity_tracks_m():
    # a 1x1 conv B->H on M = F rows in int8: 2.M.H.B / (M.B + B.H + H + M.H) -> ~2M for M << 128
    for frames in (1, 4, 16):
        gemm = {l.name: l for l in build("conv-tasnet", frames=frames)}["tcn.x0.conv1x1"].op
        m, n, k = frames, 512, 128
        assert gemm.flops() / gemm.traffic().total == pytest.approx(
            2 * m * n * k / (m * k + k * n + n + m * n))


# ---------------------------------------------------------------- DS-CNN (MLPerf Tiny KWS)


def test_ds_cnn_params_match_the_reference():
    # conv1 10.4.64 + 64 = 2,624; 4 x (dw 9.64 + 64 + pw 64.64 + 64) = 19,200; fc 64.12 + 12 = 780
    # -> 22,604 conv/dense; + 9 BN x 4 x 64 (Keras counts moving mean/var) = 24,908 (S33)
    assert 2624 + 4 * (640 + 4160) + 780 == 22_604
    layers = build("ds-cnn")
    assert total(layers, "params") == 22_604 + 9 * 256 == 24_908
    assert sum(l.op.params() for l in layers if l.op.kind != "norm") == 22_604


def test_ds_cnn_macs_per_inference():
    # 'same' stride 2 on 49 x 10 -> 25 x 5 maps: conv1 125 x 64 x 40 = 320,000
    # + 4 x (dw 125 x 64 x 9 + pw 125 x 64 x 64) = 2,336,000 + fc 768 = 2,656,768 (2.66 M, S33)
    layers = {l.name: l for l in build("ds-cnn")}
    conv1 = layers["conv1"].op
    assert (conv1.out_height, conv1.out_width) == (25, 5)
    assert total(list(layers.values()), "macs") == 320_000 + 4 * (72_000 + 512_000) + 768
    assert total(list(layers.values()), "macs") == pytest.approx(2.66e6, rel=0.002)


def test_ds_cnn_fits_sram_unlike_conv_tasnet():
    p = profile("ds-cnn")
    assert (p.hardware, p.dtype) == ("ethos-u55", "int8")
    assert p.capacity.weights_in == "memory" and p.capacity.fits
    assert p.totals.time_s < 0.001


@pytest.mark.parametrize("key", ["conv-tasnet", "ds-cnn"])
def test_tiny_recipes_have_unique_grouped_names_and_metadata(key):
    r = get_model(key)
    layers = r.build(Workload(frames=3))
    assert len({l.name for l in layers}) == len(layers)
    assert all(l.group for l in layers)
    assert r.citation and r.notes and r.default_dtype == "int8"
