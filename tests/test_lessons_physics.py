"""The lessons the lab teaches, computed from the engine's default (placed) model.

Each test fails if the physics stops supporting the lesson (docs/formulas.md §6, §8, §14).
"""

from __future__ import annotations

import pytest

import ridgeline


@pytest.mark.parametrize("resolution", [(224, 224), (640, 480)])
def test_depthwise_separable_costs_less_energy_at_lower_arithmetic_intensity(resolution):
    # Mobile track: phone-npu, int8. Compulsory traffic sends the dw -> BN -> projection
    # intermediates through LPDDR (separable 5.78 mJ vs standard 4.48 mJ at 640x480); placed,
    # they stay in the 8 MiB NPU SRAM and separable wins (1.13 vs 1.62 mJ) while its
    # arithmetic intensity stays ~5x lower (21.8 vs 122 op/B).
    kw = dict(hardware="phone-npu", dtype="int8", resolution=resolution)
    sep = ridgeline.profile("mobilenet-v2", **kw).totals
    std = ridgeline.profile("mobilenet-v2-standard", **kw).totals
    assert sep.memory_model == std.memory_model == "placed"
    assert sep.energy_j < std.energy_j
    assert sep.arithmetic_intensity < std.arithmetic_intensity / 3


def test_compulsory_model_shows_why_the_old_lesson_was_backwards():
    # at 640x480 the compulsory model charges separable's unfused intermediates to DRAM
    kw = dict(hardware="phone-npu", dtype="int8", resolution=(640, 480), memory_model="compulsory")
    sep = ridgeline.profile("mobilenet-v2", **kw).totals
    std = ridgeline.profile("mobilenet-v2-standard", **kw).totals
    assert sep.energy_j > std.energy_j


@pytest.mark.parametrize("param", ["batch", "seq-len"])
def test_decode_attention_never_crosses(param):
    # one query row per step reads the whole KV cache: I -> 2.(H/H_kv)/s = 8 FLOP/B << 295
    c = ridgeline.crossover("llama-3-70b", "attention", param, phase="decode")
    assert c.crossover is None and "never crosses" in c.reason


def test_flash_attention_prefill_crosses_between_500_and_2000_tokens():
    c = ridgeline.crossover("llama-3-70b", "attention", "seq-len", phase="prefill", flash=True)
    assert c.direction == "memory->compute" and 500 < c.crossover < 2000
    short = ridgeline.profile("llama-3-70b", seq_len=256, phase="prefill", flash=True)
    long = ridgeline.profile("llama-3-70b", seq_len=8192, phase="prefill", flash=True)
    assert short.layer("attention").bound == "memory" and long.layer("attention").bound == "compute"


def test_tiny_weight_streaming_crisis_still_shows():
    # conv-tasnet int8 on ethos-u55: 5.05 MB of weights exceed the 512 KB SRAM and stream from
    # flash at 0.5 GB/s -> >= 10.1 ms per 1 ms hop, far below the ridge, placed or not
    t = ridgeline.profile("conv-tasnet", frames=1).totals
    store = ridgeline.get_hardware("ethos-u55").weight_store
    assert t.memory_model == "placed" and t.weights_in == "weight_store"
    assert t.intensity < t.ridge / 100
    assert t.time_s >= t.bytes.weights / store.bandwidth.value > 0.010
