"""Lab tracks: the data is consistent with the engine and each crisis shows in its numbers."""

import pytest

from ridgeline import get_hardware, get_model
from ridgeline.errors import RidgelineError
from ridgeline.lab import tracks
from ridgeline.lab.tracks import TRACKS, crisis, get_track, track_profile
from ridgeline.models import models

LLAMA_70B_PARAMS = 70_553_706_496  # DATA.md C.1 [D], Meta params.json (S9)


def available():
    """Tracks whose recipe is registered (the vision/tiny recipes land separately)."""
    return [t for t in TRACKS.values() if t.model in models()]


def test_four_tracks_with_the_contract_titles():
    assert [t.title for t in TRACKS.values()] == [
        "Cloud Titan", "Edge Guardian", "Mobile Nomad", "Tiny Pioneer"]
    assert get_track("Cloud Titan") is get_track("cloud") is TRACKS["cloud"]
    with pytest.raises(RidgelineError, match="unknown track"):
        get_track("moon")


@pytest.mark.parametrize("track", available(), ids=lambda t: t.key)
def test_track_names_resolve_in_the_engine(track):
    get_model(track.model)
    hw = get_hardware(track.hardware)
    hw.peak(track.dtype)
    names = tracks.layer_names(track)
    for layer in (track.linear_layer, track.conv_layer, track.probe_layer,
                  track.scaling_layer_name, *track.trajectory_layers):
        assert layer in names
    assert track.linear_layer != track.conv_layer
    assert track.probe_parameter in get_model(track.model).params
    for name, (lo, hi, default) in track.sliders.items():
        assert lo <= default <= hi
    assert track.deadline_s == pytest.approx(1 / track.rate_hz)
    assert track.power_budget_w > 0 and track.intensity_floor > 0
    assert "power_budget_w" in track.sources


@pytest.mark.parametrize("track", available(), ids=lambda t: t.key)
def test_slider_defaults_reproduce_the_track_workload(track):
    at_default = track_profile(track, batch=tracks.default(track, "batch"),
                               scale=tracks.default(track, track.scale_param))
    assert at_default is track_profile(track)  # cached, and the defaults agree


def test_cloud_crisis_attention_stuck_while_ffn_grows():
    c = crisis("cloud")
    cfg = get_model("llama-3-70b").config
    h, hkv, d, t, s = cfg.n_heads, cfg.n_kv_heads, cfg.head_dim, 8192, 1.0  # fp8: 1 byte
    # decode attention: 4.B.H.d.T FLOPs over s.(K,V 2.B.H_kv.T.d + q, o 2.B.H.d + scores 4.B.H.T)
    # = 4.64.128.8192 / (2.8.8192.128 + 2.64.128 + 4.64.8192) = 14.2 FLOP/B, for any B
    expect = 4 * h * d * t / (s * (2 * hkv * t * d + 2 * h * d + 4 * h * t))
    assert c["decode attention intensity, batch 1 (FLOP/B)"] == pytest.approx(expect)
    assert c["decode attention intensity, batch 256 (FLOP/B)"] == pytest.approx(expect)
    assert c["closed form 2(H/H_kv)/bytes (FLOP/B)"] == 16  # 2.(64/8)/1
    # FlashAttention drops the score traffic: (4.64.128.8192) / (2.8.8192.128 + 2.64.128) ~ 16
    assert c["decode FlashAttention intensity (FLOP/B)"] == pytest.approx(16, rel=0.01)
    # gate_proj at batch B: 2.B.N.K / (B.K + K.N + B.N) ~ 2B FLOP/B in fp8
    k, n = cfg.d_model, cfg.ffn_dim
    for b in (1, 256):
        got = c[f"gate_proj (FFN) intensity, batch {b} (FLOP/B)"]
        assert got == pytest.approx(2 * b * n * k / (b * k + k * n + b * n))
    assert c["gate_proj (FFN) intensity, batch 256 (FLOP/B)"] > 30 * c["decode attention intensity, batch 256 (FLOP/B)"]
    # ridge: 1978.9 TFLOPS FP8 dense / 3.35 TB/s = 591 (DATA.md A.4)
    assert c["ridge, fp8 (FLOP/B)"] == pytest.approx(590.7, rel=1e-3)


def test_cloud_crisis_bf16_does_not_fit_one_h100():
    c = crisis("cloud")
    assert c["BF16 weights (GB)"] == pytest.approx(LLAMA_70B_PARAMS * 2 / 1e9)  # 141.1 GB
    assert c["BF16 weights (GB)"] > c["device memory (GB)"] > c["FP8 weights (GB)"]
    assert not track_profile("cloud", dtype="bf16").capacity.fits
    assert track_profile("cloud").capacity.fits
    # KV per stream (fp8) = 2 (K,V) . 80 layers . 8 kv heads . 128 . 8192 tokens . 1 B = 1.34 GB
    assert c["KV cache per 8192-token stream (GB)"] == pytest.approx(2 * 80 * 8 * 128 * 8192 / 1e9)
    # (80 - 70.55) GB / 1.342 GB = 7.04 -> 7 streams
    assert c["streams that fit beside the weights"] == 7
    assert track_profile("cloud", batch=7).capacity.fits
    assert not track_profile("cloud", batch=8).capacity.fits


def test_workload_kwargs_scales_the_right_field():
    kw = tracks.workload_kwargs("cloud", batch=8, scale=1024)
    assert (kw["batch"], kw["seq_len"], kw["phase"]) == (8, 1024, "decode")
    assert tracks.workload_kwargs("cloud", part=3)["batch"] == TRACKS["cloud"].challenge_workload["batch"]
