"""Part 1's Layer Profiler: one layer's card and the Linear-vs-conv weight-reuse comparison.

Every number comes from the engine (``track_profile`` runs ``pipeline.run``); the card only
divides the extensive quantities by ``count`` so they describe ONE copy of the layer.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..dtypes import get_dtype
from ..recipes import get_model
from ..roofline import Estimate, to_python
from .story import judged_estimate, level_ridges
from .tracks import get_track, track_profile, workload_kwargs


def card_from_estimate(e: Estimate, group: str = "") -> dict:
    """One layer's profiler card; extensive numbers are for ONE copy (``count`` copies run).

    ridge: the ridge the bound is judged against (the engine's peak x t_memory / bytes), named
    by ``ridge_label``: a level's ('ridge vs HBM3'), or for bytes from two levels the
    'effective ridge for this layer's byte mix' (``ridge_effective``, ``ridge_note`` says why);
    ridges: the device's ridge per memory level at the layer's precision (story.level_ridges).
    gauge_fraction = min(1, intensity / ridge): how far up the ridge the layer gets;
    gauge_log_fraction puts it on a log dial from ridge/1000 (0) to the ridge (1), where a
    decode layer at 1 % of the ridge still shows.
    weight_reuse = MACs / weights: how many times each weight is used per pass (a Linear
    on M rows: M; a conv: N.H_out.W_out); flops_per_weight_byte = FLOPs / weight bytes.
    """
    n = e.count
    b = {k: float(v) / n for k, v in e.bytes.as_dict().items()}
    intensity, ridge = float(e.intensity), float(e.ridge)
    params = float(e.params) / n
    macs = float(e.macs) / n
    return {
        "name": e.name, "kind": e.kind, "group": group, "count": n,
        "macs": macs, "flops": float(e.flops) / n, "bytes": b, "params": params,
        "intensity": intensity, "ridge": ridge, "ridge_ratio": intensity / ridge,
        "gauge_fraction": min(1.0, intensity / ridge), "bound": to_python(e.bound),
        "gauge_log_fraction": _log_dial(intensity, ridge),
        "time_s": float(e.time_s) / n, "energy_j": float(e.energy_j) / n,
        "attainable_flops": float(e.attainable_flops), "peak": float(e.peak),
        "weight_reuse": macs / params if params else None,
        "flops_per_weight_byte": float(e.flops) / n / b["weights"] if b["weights"] else None,
        "hardware": e.hardware, "dtype": e.dtype, "work_unit": get_dtype(e.dtype).work_unit,
        "weights_in": e.weights_in, "memory_model": e.memory_model,
    } | _ridge_fields(e)


def _ridge_fields(e: Estimate) -> dict:
    """The card's ridge, labelled, beside the device's ridge per level (story.py)."""
    j = judged_estimate(e)
    return {"ridge_label": j["label"], "ridge_effective": j["effective"], "ridge_note": j["note"],
            "ridges": level_ridges(e.hardware, e.dtype)}


def _log_dial(intensity: float, ridge: float, decades: float = 3.0) -> float:
    """Dial position 1 + log10(I / ridge) / decades, clipped to [0, 1] (0 for I <= 0)."""
    if intensity <= 0:
        return 0.0
    return float(np.clip(1 + np.log10(intensity / ridge) / decades, 0.0, 1.0))


def layer_card(track, layer: str, batch=None, scale=None, memory_model="compulsory") -> dict:
    """The Layer Profiler card for ``layer`` of the track's model at a slider position: the
    seed's arithmetic intensity (compulsory traffic), plus under ``placed`` where the bytes
    really live and what time and energy that costs (docs/formulas.md §14)."""
    p = track_profile(track, batch, scale, memory_model=memory_model)
    card = card_from_estimate(p.layer(layer), p.layer_groups.get(layer, ""))
    placed = track_profile(track, batch, scale, memory_model="placed").layer(layer)
    return card | {"placed": placed_summary(placed)}


def placed_summary(e: Estimate) -> dict:
    """One copy of a layer under the placed model: bytes off and on chip, time, energy, why."""
    n = e.count
    return {"offchip_bytes": float(e.bytes.total) / n, "onchip_bytes": float(e.onchip_bytes) / n,
            "time_s": float(e.time_s) / n, "energy_j": float(e.energy_j) / n,
            "bound": to_python(e.bound), "where": e.placement.get("reason", "")}


def compare_linear_conv(track, batch=None, scale=None) -> dict:
    """Part 1's comparison: the track's Linear layer beside its conv (attention for Cloud).

    The second row's role is the track's ``conv_role``. When that is "attention" (Cloud, whose
    model has no convolution) a third row shows the conv-equivalent: the same Linear weights
    applied at every one of the prompt's T positions (prefill) - exactly a 1x1 convolution
    sliding over the sequence, so each weight is reused B.T times.
    ``more_memory_bound`` names the row with the lowest intensity.
    """
    t = get_track(track)
    rows = [dict(layer_card(t, t.linear_layer, batch, scale), role="linear"),
            dict(layer_card(t, t.conv_layer, batch, scale), role=t.conv_role)]
    rows += [extra(t, batch, scale) for extra in _EXTRA_ROWS[t.conv_role]]
    lowest = min(rows[:2], key=lambda r: r["intensity"])
    return {"rows": rows, "more_memory_bound": lowest["name"], "ridge": rows[0]["ridge"],
            "ridges": rows[0]["ridges"]}


def _conv_equivalent(t, batch, scale) -> dict:
    """The Linear layer in prefill: a 1x1 conv over the prompt's tokens (a model with no conv)."""
    p = track_profile(t, batch, scale, phase="prefill")
    eq = card_from_estimate(p.layer(t.linear_layer), "ffn")
    tokens = p.workload.seq_len
    eq.update(role="conv-equivalent",
              name=f"{t.linear_layer} as a 1x1 conv over the {tokens:,}-token prompt (prefill)")
    return eq


#: Track.conv_role -> the extra rows Part 1's comparison shows after the Linear and the conv.
_EXTRA_ROWS = {"conv": (), "attention": (_conv_equivalent,)}


@lru_cache(maxsize=256)
def _layers(model, items):
    recipe = get_model(model)
    return recipe.build(recipe.workload(**dict(items)))


def track_layers(track, batch=None, scale=None, **extra) -> list:
    """The track's built layers (ops) at a slider position (cached)."""
    t = get_track(track)
    return _layers(t.model, tuple(sorted(workload_kwargs(t, batch, scale, **extra).items())))
