"""Invariants that must hold for every shape, device and format (hypothesis).

Roofline (S35): time = max(FLOPs/peak, bytes/BW) >= each bound; memory-bound iff
intensity < ridge. FLOPs = 2 x MACs. Tiled traffic >= compulsory traffic.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ridgeline.hardware import Figure, get_hardware, registry
from ridgeline.ops import Attention, Conv2d, Gemm, OnChip
from ridgeline.ops.conv import conv_out
from ridgeline.roofline import estimate, total

settings.register_profile("ridgeline", max_examples=150, deadline=None)
settings.load_profile("ridgeline")

DEVICE_DTYPES = [(k, d) for k, hw in sorted(registry().items()) for d in hw.dtypes]

dims = st.integers(1, 4096)
small = st.integers(1, 64)
device_dtype = st.sampled_from(DEVICE_DTYPES)


@st.composite
def gemms(draw):
    return Gemm(draw(dims), draw(dims), draw(dims), weight_operand=draw(st.booleans()),
                bias=draw(st.booleans()))


@st.composite
def convs(draw):
    groups = draw(st.sampled_from([1, 2, 4]))
    c_in, c_out = groups * draw(small), groups * draw(small)
    k, stride, dil = draw(st.integers(1, 7)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    pad = draw(st.integers(0, 3))
    h, w = draw(st.integers(1, 96)), draw(st.integers(1, 96))
    assume(min(h, w) + 2 * pad >= dil * (k - 1) + 1)
    return Conv2d(draw(st.integers(1, 8)), c_in, c_out, h, w, k, k, stride, pad, dil, groups)


@st.composite
def attentions(draw):
    kv = draw(st.sampled_from([1, 2, 4, 8]))
    heads = kv * draw(st.sampled_from([1, 2, 8]))
    return Attention(draw(st.integers(1, 16)), heads, kv, draw(st.sampled_from([32, 64, 128])),
                     draw(st.integers(1, 32768)), draw(st.sampled_from(["prefill", "decode"])),
                     draw(st.booleans()), draw(st.booleans()))


ops = st.one_of(gemms(), convs(), attentions())


@given(ops, device_dtype)
def test_intensity_positive_and_time_at_least_both_bounds(op, dd):
    e = estimate(op, *dd)
    assert e.intensity > 0
    assert e.time_s >= e.flops / e.peak * (1 - 1e-12)
    assert e.time_s >= e.time_memory_s
    assert e.time_s == max(e.time_compute_s, e.time_memory_s)
    assert e.energy_j > 0


@given(ops)
def test_flops_are_twice_macs(op):
    assert op.flops() == 2 * op.macs()
    assert op.macs() > 0


@given(gemms(), st.floats(0.5, 2.0))
def test_bound_flips_exactly_at_the_ridge(g, scale):
    # a synthetic device whose ridge is `scale` x this GEMM's intensity
    h100 = get_hardware("h100-sxm")
    i = g.flops() / (g.traffic().total * 2)                      # BF16
    bw = h100.peak("bf16") / (i * scale)
    hw = replace(h100, memory=replace(h100.memory, bandwidth=Figure(bw, "U1", True)))
    e = estimate(g, hw, "bf16")
    assert e.ridge == pytest.approx(i * scale)
    assert e.bound == ("memory" if i < e.ridge else "compute")
    if scale < 0.999:
        assert e.bound == "compute"
    if scale > 1.001:
        assert e.bound == "memory"


@given(st.lists(ops, min_size=1, max_size=6), device_dtype)
def test_totals_equal_sum_of_layers(layer_ops, dd):
    ests = [estimate(op, *dd, count=c + 1) for c, op in enumerate(layer_ops)]
    t = total(ests)
    assert t.flops == sum(e.flops for e in ests)
    assert t.macs == sum(e.macs for e in ests)
    assert t.bytes.total == pytest.approx(sum(e.bytes.total for e in ests))
    assert t.time_s == pytest.approx(sum(e.time_s for e in ests))
    assert t.energy_j == pytest.approx(sum(e.energy_j for e in ests))
    # the aggregate intensity lies between the layers' extremes
    lo, hi = min(e.intensity for e in ests), max(e.intensity for e in ests)
    assert lo * (1 - 1e-9) <= t.intensity <= hi * (1 + 1e-9)


@given(dims, dims, dims)
def test_doubling_batch_never_lowers_gemm_intensity(m, n, k):
    one, two = Gemm(m, n, k), Gemm(2 * m, n, k)
    assert two.flops() / two.traffic().total >= one.flops() / one.traffic().total


@given(convs())
def test_doubling_batch_never_lowers_conv_intensity(c):
    two = replace(c, batch=2 * c.batch)
    assert two.flops() / two.traffic().total >= c.flops() / c.traffic().total * (1 - 1e-12)


@given(st.integers(1, 64), st.integers(1, 65536), st.sampled_from([(64, 8), (32, 8), (8, 8)]))
def test_decode_attention_intensity_ignores_batch(b, t, heads):
    h, kv = heads
    one = Attention(b, h, kv, 128, t, "decode", flash=True)
    two = replace(one, batch=2 * b)
    assert two.flops() / two.traffic().total == pytest.approx(one.flops() / one.traffic().total)


@given(st.one_of(gemms(), convs()), st.integers(256, 10**8), st.integers(256, 10**6))
def test_tiled_traffic_at_least_compulsory(op, capacity, tile):
    onchip = OnChip(capacity=float(capacity), tile=float(min(tile, capacity)))
    tiled, comp = op.traffic("tiled", onchip), op.traffic("compulsory")
    assert tiled.total >= comp.total
    assert tiled.outputs == comp.outputs              # the result is written once either way
    if comp.total <= capacity:
        assert tiled.total == comp.total              # everything fits: nothing is re-read


@given(attentions(), st.integers(1, 10**7))
def test_flash_never_above_standard_when_m_exceeds_4d2(a, m):
    # Dao et al. 2022: FlashAttention needs ~M/d^2 times fewer accesses; with M >= 4 d^2 its
    # re-reads (~3.T^2.d/B_c per head) stay below the 4.T^2 score elements standard moves
    assume(m >= 4 * a.head_dim**2)
    onchip = OnChip(capacity=float(m), tile=float(m))
    flash = replace(a, flash=True).traffic("tiled", onchip)  # Alg. 1's tile traffic
    std = replace(a, flash=False).traffic(onchip=onchip)
    assert flash.total <= std.total
    assert flash.scratch == 0


@given(st.integers(1, 40), st.integers(1, 9), st.integers(1, 4), st.integers(0, 4),
       st.integers(1, 3))
def test_conv_output_size_matches_brute_force(size, kernel, stride, padding, dilation):
    span = dilation * (kernel - 1) + 1
    # count the window positions i.S (in padded coordinates) whose whole span fits
    brute = sum(1 for start in range(0, size + 2 * padding, stride)
                if start + span <= size + 2 * padding)
    assume(brute > 0)
    assert conv_out(size, kernel, stride, padding, dilation) == brute
    c = Conv2d(1, 1, 1, size, size, kernel, kernel, stride, padding, dilation)
    assert c.out_height == c.out_width == brute
