"""Each track's intensity crisis in numbers, computed by the engine (``tracks.crisis``).

The crisis table sits at the top of a track, above every lock, so it shows no number a lock
grades - nor one that gives it by proportion: Part 1 grades the track's Linear layer's
intensity at the track's batch (a Linear on M rows: ~2M / bytes per element), so no crisis row
is a Linear layer's intensity, and no number of the table, scaled by the ratio of the graded
batch (or frame count) to one the card names, lands on that answer either
(tests/test_lab_crisis_fair.py). The whole decode step's intensity, for one, is shown only at a
serving batch, where the KV cache reads, not the weights, set it.
"""

from __future__ import annotations

from ..dtypes import get_dtype
from ..hardware import get_hardware
from ..profiling import profile
from ..recipes import get_model
from .tracks import Track, get_track, required_rate, time_budget, track_profile, workload_kwargs

#: Cloud's serving batch: the streams one decode step would have to serve to lift the FFN.
CLOUD_SERVING_BATCH = 256


def crisis_numbers(track) -> dict:
    """Label (with unit) -> number: the track's intensity crisis, computed by the engine."""
    t = get_track(track)
    return _CRISES[t.key](t)


def _i(est) -> float:
    return float(est.intensity)


def _cloud_crisis(t: Track) -> dict:
    """Attention stuck whatever the batch; the whole decode step (every layer, ``totals``) below
    the ridge even at a serving batch, and slower than the deadline there; and memory."""
    lo, hi = t.sliders["batch"][0], CLOUD_SERVING_BATCH
    p_lo, p_hi = track_profile(t, batch=lo), track_profile(t, batch=hi)
    hw, cfg = get_hardware(t.hardware), get_model(t.model).config
    flash = track_profile(t, batch=lo, flash=True)
    closed = 2 * (cfg.n_heads / cfg.n_kv_heads) / get_dtype(t.dtype).bytes
    step = {b: track_profile(t, batch=b, memory_model="placed").totals for b in (lo, hi)}
    return {
        f"decode attention intensity, batch {lo} (FLOP/B)": _i(p_lo.layer("attention")),
        f"decode attention intensity, batch {hi} (FLOP/B)": _i(p_hi.layer("attention")),
        "decode FlashAttention intensity (FLOP/B)": _i(flash.layer("attention")),
        "closed form 2(H/H_kv)/bytes (FLOP/B)": closed,
        f"whole decode step (all layers) intensity, batch {hi} (FLOP/B)": _i(p_hi.totals),
        f"ridge vs {hw.memory.name}, {t.dtype} (FLOP/B)": hw.ridge(t.dtype),
        f"whole decode step time, batch {lo} (ms)": float(step[lo].time_s) * 1e3,
        f"whole decode step time, batch {hi} (ms)": float(step[hi].time_s) * 1e3,
        "deadline per token (ms)": time_budget(t, workload_kwargs(t, batch=hi)) * 1e3,
    } | _cloud_memory(t, hi)


def _cloud_memory(t: Track, streams: int) -> dict:
    """Weights in BF16 and in the track's format against the device memory, and the KV caches
    of one stream and of ``streams``. (The count of streams that fit beside the weights is
    left out: it lies within Part 1's tolerance of the graded intensity.)"""
    hw = get_hardware(t.hardware)
    p = track_profile(t, batch=1)
    bf16 = track_profile(t, batch=1, dtype="bf16")
    return {
        "BF16 weights (GB)": bf16.capacity.weights_bytes / 1e9,
        f"{t.dtype.upper()} weights (GB)": p.capacity.weights_bytes / 1e9,
        "device memory (GB)": hw.memory.capacity.value / 1e9,
        f"KV cache per {t.workload['seq_len']}-token stream (GB)": p.capacity.kv_cache_bytes / 1e9,
        f"KV cache of {streams} streams (GB)":
            track_profile(t, batch=streams).capacity.kv_cache_bytes / 1e9,
    }


def _vision_crisis(t: Track) -> dict:
    p = track_profile(t)
    conv = p.layer(t.conv_layer)
    u, hw = t.work_unit, get_hardware(t.hardware)
    w = workload_kwargs(t)
    placed = track_profile(t, memory_model="placed").totals  # time and power: where bytes live
    # the conv's and the Linear's intensities are Part 1's answer: not shown before its lock
    return {
        f"{t.conv_layer} work per frame (G{u})": float(conv.flops) / 1e9,
        f"ridge vs {hw.memory.name}, {t.dtype} ({u}/B)": hw.ridge(t.dtype),
        f"whole model per frame (G{u})": float(p.totals.flops) / 1e9,
        f"aggregate intensity ({u}/B)": _i(p.totals),
        "time per frame (ms)": float(placed.time_s) * 1e3,
        "deadline (ms)": time_budget(t, w) * 1e3,
        "power the required rate demands (W)": float(placed.power_demand_w(required_rate(t, w))),
        "power budget (W)": t.power_budget_w,
    }


def _mobile_crisis(t: Track) -> dict:
    """Depthwise-separable vs the standard-conv twin: how much work it cuts (what it does to
    intensity is Part 3's lock, so it is not printed above it)."""
    out = _vision_crisis(t)
    sep = track_profile(t)
    std = profile("mobilenet-v2-standard", t.hardware, t.dtype, "compulsory", **workload_kwargs(t))
    last = [n for n in sep.layer_groups if n.endswith(".dw")][-1]  # widest block
    block = last.rsplit(".", 1)[0]
    pair = float(sep.layer(f"{block}.dw").flops) + float(sep.layer(f"{block}.project").flops)
    out.update({
        f"FLOPs cut by depthwise-separable in {block} (x)": float(std.layer(f"{block}.conv").flops) / pair,
        "whole-model FLOPs, standard / separable (x)": float(std.totals.flops) / float(sep.totals.flops),
    })
    return out


def _tiny_crisis(t: Track) -> dict:
    hw, f8 = get_hardware(t.hardware), 8
    p1, p8 = (track_profile(t, scale=f, memory_model="placed") for f in (1, f8))
    w1, w8 = workload_kwargs(t), workload_kwargs(t, scale=f8)
    peak = hw.peak(t.dtype)
    lat = get_model(t.model).config.algorithmic_latency_s
    return {
        "weights (KB)": p1.capacity.weights_bytes / 1024,
        "SRAM (KB)": hw.memory.capacity.value / 1024,
        "weights stream from flash (1 = yes)": 1.0 if p1.capacity.weights_in == "weight_store" else 0.0,
        "ridge vs SRAM (op/B)": peak / hw.memory.bandwidth.value,
        "ridge vs flash (op/B)": peak / hw.weight_store.bandwidth.value,
        "time per inference, 1 frame (ms)": float(p1.totals.time_s) * 1e3,
        "latency, 1 frame: window + compute (ms)": (lat(1) + float(p1.totals.time_s)) * 1e3,
        f"latency, {f8} frames: window + buffering + compute (ms)": (lat(f8) + float(p8.totals.time_s)) * 1e3,
        "latency budget (ms)": t.deadline_s * 1e3,
        "time budget per run, 1 frame (ms)": float(time_budget(t, w1)) * 1e3,
        "power, 1 frame per inference (mW)": float(p1.totals.power_demand_w(required_rate(t, w1))) * 1e3,
        f"power, {f8} frames per inference (mW)": float(p8.totals.power_demand_w(required_rate(t, w8))) * 1e3,
        "power budget (mW)": t.power_budget_w * 1e3,
    }


_CRISES = {"cloud": _cloud_crisis, "edge": _vision_crisis, "mobile": _mobile_crisis,
           "tiny": _tiny_crisis}
