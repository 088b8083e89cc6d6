"""Roofline chart data: the device roof min(peak, BW x I) (Williams, Waterman & Patterson
2009) and the layers placed on it, for the track's model (Parts 1-2) or a Part 3 design.
"""

from __future__ import annotations

import numpy as np

from ..dtypes import get_dtype
from ..hardware import get_hardware
from ..pipeline import run
from .challenge import design_layers
from .story import level_ridges
from .tracks import Track, get_track, track_profile


def roofline(track, batch=None, scale=None, layers=None, points=64) -> dict:
    """Roofline chart data: the device roof min(peak, BW x I) and the layers placed on it.

    Each point's attainable FLOP/s is the engine's FLOPs / time (for weights streamed from a
    slower store it sits below the DRAM roof, as it should).
    """
    t = get_track(track)
    p = track_profile(t, batch, scale)
    chosen = [p.layer(n) for n in layers] if layers else [e for e in p.layers if float(e.flops) > 0]
    return _roofline_data(t, t.dtype, chosen, p.layer_groups, points)


def design_roofline(track, choices: dict, batch=None, scale=None, points=64) -> dict:
    """Roofline chart data for a Part 3 design: its layers (as the challenge builds them, at the
    design's precision) on the track's device, same shape as :func:`roofline`."""
    t = get_track(track)
    built, dtype, _ = design_layers(t, choices, batch, scale)
    prof = run(built, get_hardware(t.hardware), get_dtype(dtype), "compulsory")
    chosen = [e for e in prof.layers if float(e.flops) > 0]
    return _roofline_data(t, dtype, chosen, prof.layer_groups, points)


def _roofline_data(t: Track, dtype: str, chosen: list, groups: dict, points: int) -> dict:
    """The roof on a log grid spanning the layers and the ridges, and one point per layer.

    ``roof`` is the off-chip memory's; ``ridges`` the device's ridge per memory level at
    ``dtype`` (story.level_ridges), ``roofs`` one roof per level (Tiny: SRAM and the flash its
    weights stream from; a layer reading both sits between them)."""
    hw = get_hardware(t.hardware)
    peak, bw = hw.peak(dtype), hw.bandwidth
    ridges = level_ridges(t.hardware, dtype)
    ints = [float(e.intensity) for e in chosen]
    lo = min([0.1, *ints]) / 2
    hi = max([10 * r["ridge"] for r in ridges] + ints) * 2
    grid = np.geomspace(lo, hi, points)
    roofs = [{"level": r["level"], "intensity": float(i), "attainable": float(min(peak, peak / r["ridge"] * i))}
             for r in ridges for i in grid]
    return {
        "roof": [{"intensity": float(i), "attainable": float(min(peak, bw * i))} for i in grid],
        "ridge": peak / bw, "ridge_label": ridges[0]["label"], "ridges": ridges, "roofs": roofs,
        "peak": peak, "bandwidth": bw, "work_unit": t.work_unit, "dtype": dtype,
        "points": [{"layer": e.name, "group": groups.get(e.name, ""), "kind": e.kind,
                    "intensity": float(e.intensity), "attainable": float(e.attainable_flops),
                    "bound": e.bound, "flops": float(e.flops) / e.count} for e in chosen],
    }
