"""Vision recipes (resnet50, yolov8n, mobilenet-v2 and its standard twin) against published
figures (DATA.md C.3-C.5; S26-S28) and their own invariants."""

from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ridgeline import estimate, profile
from ridgeline.ops import Conv2d
from ridgeline.recipes import Workload, get_model
from ridgeline.recipes.mobilenet import MOBILENET_V2, build_mobilenet_v2, make_divisible
from ridgeline.sweeping import evaluate

VISION = ("resnet50", "yolov8n", "mobilenet-v2", "mobilenet-v2-standard")


def build(key, resolution=(224, 224), batch=1):
    return get_model(key).build(Workload(batch=batch, resolution=resolution))


def macs(layers):
    return sum(l.op.macs() * l.count for l in layers)


def params(layers):
    return sum(l.op.params() * l.count for l in layers)


def activations(layers):
    return sum(l.op.traffic().activations * l.count for l in layers)


def by_name(layers):
    return {l.name: l for l in layers}


# ---------------------------------------------------------------- ResNet-50 (S27, DATA.md C.3)


def test_resnet50_params_match_torchvision():
    # convs + BN (gamma, beta: 2 per channel) + fc 2048 x 1000 + 1000 (S27)
    assert params(build("resnet50")) == 25_557_032


def test_resnet50_macs_at_224_match_torchvision():
    # torchvision's "4.09 GFLOPS" are multiply-adds (S27; DATA.md conventions)
    assert macs(build("resnet50")) == pytest.approx(4.09e9, abs=0.005e9)


def test_resnet50_conv1_at_224():
    # 7x7x3 x 64 filters = 9,408 weights; 112 x 112 outputs x 64 x 147 = 118,013,952 MACs
    conv1 = by_name(build("resnet50"))["stem.conv"].op
    assert (conv1.out_height, conv1.out_width) == (112, 112)
    assert conv1.params() == 9_408
    assert conv1.macs() == 112 * 112 * 64 * 147 == 118_013_952


def test_resnet50_conv1_at_4k_is_19_5_gmacs_at_124_flop_per_byte_in_fp16():
    # 1080 x 1920 x 64 x 147 = 19,508,428,800 MACs (DATA.md C.3)
    # bytes (fp16) = 2 x (24,883,200 + 9,408 + 132,710,400) = 315,206,016 -> 39.0e9 / 315.2e6
    conv1 = by_name(build("resnet50", (3840, 2160)))["stem.conv"].op
    assert conv1.macs() == 1080 * 1920 * 64 * 147 == 19_508_428_800
    e = estimate(conv1, "jetson-agx-orin", "fp16")
    expected = 2 * 19_508_428_800 / (2 * (3 * 3840 * 2160 + 9408 + 64 * 1080 * 1920))
    assert e.intensity == pytest.approx(expected)
    assert e.intensity == pytest.approx(124, abs=0.5)
    assert e.bound == "memory"  # Orin fp16 ridge 42.5 T / 204.8 GB/s = 208 (DATA.md A.4)
    assert conv1.traffic().outputs * 2 == pytest.approx(265e6, rel=0.002)  # 265 MB fp16


def test_resnet50_at_4k_breaks_the_10_ms_deadline():
    # ~676 G MACs per 4K frame (area x 165.3, DATA.md C.3): 1.35 TFLOP / 42.5 TFLOP/s > 30 ms
    p = profile("resnet50")  # defaults: 3840x2160, batch 1, jetson-agx-orin, fp16
    assert (p.hardware, p.dtype, p.workload.resolution) == ("jetson-agx-orin", "fp16", (3840, 2160))
    assert p.totals.macs == pytest.approx(676e9, rel=0.005)
    assert p.totals.time_s > 0.010
    assert p.totals.time_compute_s > 0.030


def test_resnet50_stages_halve_the_map_and_end_at_7x7x2048():
    layers = by_name(build("resnet50"))
    for stage, size in ((1, 56), (2, 28), (3, 14), (4, 7)):
        conv = layers[f"layer{stage}.0.conv3"].op
        assert (conv.out_height, conv.out_width) == (size, size)
    assert layers["layer4.2.conv3"].op.out_channels == 2048
    assert layers["avgpool"].op.reads == 7 * 7
    # V1.5: the stride sits on conv2 (the 3x3), not conv1
    assert layers["layer2.0.conv2"].op.stride == 2 and layers["layer2.0.conv1"].op.stride == 1
    assert sum(1 for name in layers if name.endswith("downsample.conv")) == 4


# ---------------------------------------------------------------- YOLOv8n (S28, DATA.md C.4)


def test_yolov8n_params_match_the_yaml_summary():
    # "YOLOv8n summary: 225 layers, 3,157,200 parameters" (S28; 3.16 M in DATA.md C.4):
    # convs + BN (2 per channel) + the Detect 1x1 biases + DFL's 16 frozen weights
    assert params(build("yolov8n", (640, 640))) == 3_157_200


def test_yolov8n_gflops_at_640():
    # Ultralytics GFLOPs = 2 x MACs (S28c). The docs' 8.7 (S28b) is the fused model (BN folded:
    # convs only), so 2 x MACs must round to it. The yaml's 8.9 is the unfused model, where
    # thop also counts every BN element (13.9 M of them here) - ours is 1.8 % under it.
    flops = 2 * macs(build("yolov8n", (640, 640)))
    assert f"{flops / 1e9:.1f}" == "8.7"
    assert flops == pytest.approx(8.9e9, rel=0.02)
    assert flops < 8.9e9


def test_yolov8n_at_4k_is_about_176_gflop():
    # Letterbox pads 2160 to 2176 (a multiple of 32): every map scales exactly with the area,
    # 3840 x 2176 / 640^2 = 20.4; DATA.md C.4's 176 GFLOP uses 8.7 x 20.25 (unpadded).
    at_640, at_4k = macs(build("yolov8n", (640, 640))), macs(build("yolov8n", (3840, 2160)))
    assert at_4k == at_640 * 3840 * 2176 / 640**2
    assert 2 * at_4k == pytest.approx(176e9, rel=0.015)


def test_yolov8n_first_conv():
    # Conv(3 -> 16, k3, s2): 320 x 320 x 16 x 27 = 44.2 M MACs at 640; 0.90 G at 4K (DATA.md C.4)
    c640 = by_name(build("yolov8n", (640, 640)))["model.0.conv"].op
    assert c640.macs() == 320 * 320 * 16 * 27 == pytest.approx(44.2e6, rel=0.001)
    c4k = by_name(build("yolov8n", (3840, 2160)))["model.0.conv"].op
    assert c4k.macs() == pytest.approx(0.90e9, rel=0.01)


def test_yolov8n_structure_follows_the_yaml():
    layers = by_name(build("yolov8n", (640, 640)))
    # scale n: width 0.25 -> channels 16, 32, 64, 128, 256; depth 0.33 -> C2f repeats 1 or 2
    assert [layers[f"model.{i}.conv"].op.out_channels for i in (0, 1, 3, 5, 7)] == [16, 32, 64, 128, 256]
    assert "model.4.m.1.cv1.conv" in layers and "model.4.m.2.cv1.conv" not in layers
    assert "model.2.m.0.add" in layers and "model.12.m.0.add" not in layers  # head: no shortcut
    assert layers["model.9.m"].count == 3  # SPPF runs one 5x5 max-pool three times
    # Detect at strides 8, 16, 32: 80x80, 40x40, 20x20 maps -> 8,400 anchors
    sizes = [layers[f"model.22.cv3.{i}.2"].op.out_height for i in range(3)]
    assert sizes == [80, 40, 20]
    assert layers["model.22.dfl.conv"].op.width == 80**2 + 40**2 + 20**2 == 8400
    assert layers["model.22.cv3.0.2"].op.out_channels == 80  # COCO classes


# ---------------------------------------------------------------- MobileNetV2 (S26, DATA.md C.5)


def test_mobilenet_v2_params_match_torchvision():
    # convs (no bias) + BN (gamma, beta: 2 per channel, as torch counts them) + fc 1280 x 1000
    # + 1000 bias = 3,504,872 (S26b). TF-slim's 3.47 M differs in what it counts.
    assert params(build("mobilenet-v2")) == 3_504_872


def test_mobilenet_v2_macs_at_224():
    # conv + fc MACs: 300.8 M recomputed (DATA.md C.5); TF-slim "300 M" (S26c)
    total = macs(build("mobilenet-v2"))
    assert total == pytest.approx(300.8e6, abs=0.05e6)


def test_mobilenet_v2_macs_split():
    # depthwise 6.9 %, pointwise expand + project 82 % of the MACs (DATA.md C.5)
    layers = build("mobilenet-v2")
    total = macs(layers)
    dw = sum(l.op.macs() for l in layers if l.name.endswith(".dw"))
    pw = sum(l.op.macs() for l in layers if l.name.endswith((".expand", ".project")))
    assert dw / total == pytest.approx(0.069, abs=0.001)
    assert pw / total == pytest.approx(0.82, abs=0.005)


@pytest.mark.parametrize("width, published_mmacs", [(0.35, 59), (0.5, 97), (0.75, 209), (1.4, 582)])
def test_mobilenet_v2_width_multiplier_matches_the_tf_slim_table(width, published_mmacs):
    # TF-slim MobileNet README (S26c): MobilenetV2 <width>_224 million MACs
    layers = build_mobilenet_v2(replace(MOBILENET_V2, width_mult=width), Workload(resolution=(224, 224)))
    assert macs(layers) / 1e6 == pytest.approx(published_mmacs, abs=1)


def test_make_divisible_is_torchvision_rounding():
    assert make_divisible(32 * 0.35) == 16  # int(11.2 + 4) // 8 * 8 = 8 < 0.9 x 11.2 -> 16
    assert make_divisible(24 * 1.4) == 32   # int(33.6 + 4) // 8 * 8 = 32
    assert make_divisible(16 * 0.5) == 8


def test_depthwise_int8_intensity_is_about_9_at_stride_1_and_3_6_at_stride_2():
    # 2.K^2 / (s.(S^2 + 1)) with K = 3, s = 1 byte: 18/2 = 9 (S = 1), 18/5 = 3.6 (S = 2)
    # (DATA.md D.3); the weights (9 per channel) pull it slightly lower.
    layers = by_name(build("mobilenet-v2"))
    s1 = estimate(layers["features.1.dw"].op, "phone-npu", "int8")  # 32 ch, 112^2
    s2 = estimate(layers["features.2.dw"].op, "phone-npu", "int8")  # 96 ch, 112^2 -> 56^2
    assert s1.intensity == pytest.approx(9.0, rel=0.01)
    assert s2.intensity == pytest.approx(3.6, rel=0.01)
    assert s1.bound == s2.bound == "memory"  # NPU int8 ridge ~586 (DATA.md A.4)


def test_separable_over_standard_macs_is_one_over_cout_plus_one_over_k2():
    # per inverted residual: (dw 3x3 + project 1x1) / standard 3x3 = 1/C_out + 1/9 (S41)
    sep = by_name(build("mobilenet-v2"))
    std = by_name(build("mobilenet-v2-standard"))
    for i in range(1, 18):
        b = f"features.{i}"
        conv = std[f"{b}.conv"].op
        ratio = (sep[f"{b}.dw"].op.macs() + sep[f"{b}.project"].op.macs()) / conv.macs()
        assert ratio == pytest.approx(1 / conv.out_channels + 1 / 9, rel=1e-12)
        assert conv.stride == sep[f"{b}.dw"].op.stride and conv.groups == 1


def test_standard_twin_costs_more_macs_at_higher_intensity():
    sep, std = profile("mobilenet-v2"), profile("mobilenet-v2-standard")
    assert (sep.hardware, sep.dtype) == ("phone-npu", "int8")
    assert 3.5 < std.totals.macs / sep.totals.macs < 4.5  # expand/stem/head convs unchanged
    assert std.totals.arithmetic_intensity > 2 * sep.totals.arithmetic_intensity


# ---------------------------------------------------------------- invariants, all vision recipes


@pytest.mark.parametrize("key", VISION)
def test_layer_names_are_unique_and_grouped(key):
    layers = build(key)
    names = [l.name for l in layers]
    assert len(names) == len(set(names))
    assert all(l.group for l in layers)


@pytest.mark.parametrize("key", VISION)
def test_recipe_metadata(key):
    r = get_model(key)
    assert r.params == ("batch", "resolution")
    assert r.citation and r.notes
    profile(key)  # the defaults (hardware, dtype, workload) work together


@given(key=st.sampled_from(VISION), batch=st.integers(1, 64))
@settings(max_examples=20, deadline=None)
def test_macs_and_traffic_scale_linearly_with_batch(key, batch):
    one, many = build(key, (160, 160)), build(key, (160, 160), batch)
    assert macs(many) == batch * macs(one)
    assert params(many) == params(one)
    assert activations(many) == batch * activations(one)


@pytest.mark.parametrize("key", VISION)
def test_vectorized_resolution_sweep_equals_scalar_builds(key):
    # a sweep passes float arrays through the builder: it must agree with one-at-a-time builds
    widths = np.array([224.0, 640.0, 1001.0, 3840.0])
    swept = evaluate(key, "resolution", widths, resolution=(3840, 2160))
    for i, w in enumerate(widths):
        h = max(1, round(w * 2160 / 3840))
        one = profile(key, resolution=(int(w), h)).totals
        assert swept.estimate.macs[i] == one.macs
        assert swept.estimate.bytes.total[i] == pytest.approx(one.bytes.total)


@pytest.mark.parametrize("key", [*VISION, "ds-cnn"])
def test_vectorized_batch_sweep_equals_scalar_builds(key):
    batches = np.array([1.0, 3.0, 16.0])
    swept = evaluate(key, "batch", batches)
    for i, b in enumerate(batches):
        one = profile(key, batch=int(b)).totals
        assert swept.estimate.macs[i] == one.macs
        assert swept.estimate.time_s[i] == pytest.approx(one.time_s)


@pytest.mark.parametrize("key", VISION)
def test_macs_grow_about_with_pixel_count(key):
    small, big = macs(build(key, (320, 320))), macs(build(key, (1280, 1280)))
    assert big / small == pytest.approx(16, rel=0.05)  # fc/head terms do not scale


def test_convs_are_conv2d_with_bn_after_each():
    layers = build("resnet50")
    for a, b in pairwise(layers):
        if isinstance(a.op, Conv2d):
            assert b.op.kind == "norm" and b.op.elements == (
                a.op.batch * a.op.out_channels * a.op.out_height * a.op.out_width)
