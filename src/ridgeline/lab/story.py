"""One story per track: the device's ridge per memory level, in the words every view uses.

A device has one ridge per memory level at a precision, peak / that level's bandwidth: the
H100 at FP8 vs HBM3, 591 FLOP/B; the Ethos-U55 at INT8 vs SRAM, 64 op/B, and vs flash, where
Tiny's weights stream from, 512 op/B. A layer whose bytes come from two levels (Tiny's: weights
from flash, activations from SRAM) flips bound at neither: its compute time equals its memory
time at peak x (time on each level) / bytes - the engine's ``Estimate.ridge``, which lies
between the two and moves with the layer and the sliders. Views show the level ridges; that
number is shown only as the **effective ridge for this layer's byte mix**, with the short
:data:`EFFECTIVE_NOTE` saying why. Nothing here is a constant of the physics: every value is
the hardware registry's or the engine's.
"""

from __future__ import annotations

import numpy as np

from ..dtypes import get_dtype
from ..format import format_ratio
from ..hardware import get_hardware
from .tracks import get_track, time_budget_rule

#: The label of a ridge that is no single level's (a layer's or a design's byte mix).
EFFECTIVE = "effective ridge for this layer's byte mix"
EFFECTIVE_DESIGN = "effective ridge for this design's byte mix"
#: One short clause on what the effective ridge is (``{levels}``: 'SRAM and flash'); the
#: formula, peak × Σ (bytes / bandwidth) / bytes, is the Math peek's (mathpeek.roofline_latex).
EFFECTIVE_NOTE = "bytes from {levels}, so between the two ridges"
#: Relative tolerance for "this ridge is that level's" (the engine divides sums of floats).
RTOL = 1e-6


def level_ridges(hardware, dtype) -> list[dict]:
    """The device's ridge per memory level at ``dtype``: the off-chip memory, then the weight
    store (flash) where the device has one. Each: level, key (the engine's placement name),
    ridge = peak / bandwidth, label 'ridge vs <level>', dtype."""
    hw, dt = get_hardware(hardware), get_dtype(dtype)
    peak = hw.peak(dt)
    levels = [("memory", hw.memory)]
    if hw.weight_store is not None and hw.weight_store.bandwidth is not None:
        levels.append(("weight_store", hw.weight_store))
    return [{"level": lv.name, "key": key, "ridge": peak / lv.bandwidth.value,
             "label": f"ridge vs {lv.name}", "dtype": dt.name} for key, lv in levels]


def ridge_of_level(hardware, dtype, key: str) -> dict:
    """The level ridge of the level the engine calls ``key`` ('memory' or 'weight_store')."""
    return next(r for r in level_ridges(hardware, dtype) if r["key"] == key)


def level_of(value, hardware, dtype) -> dict | None:
    """The level whose ridge ``value`` is, or None (an effective ridge of a byte mix)."""
    return next((r for r in level_ridges(hardware, dtype)
                 if np.isclose(float(value), r["ridge"], rtol=RTOL, atol=0)), None)


def is_effective(values, hardware, dtype) -> np.ndarray:
    """Per value: True where it is no level's ridge (vectorized over a sweep's ridges)."""
    v = np.asarray(values, dtype=float)
    near = [np.isclose(v, r["ridge"], rtol=RTOL, atol=0) for r in level_ridges(hardware, dtype)]
    return ~np.logical_or.reduce(near)


def judged(value, hardware, dtype, what: str = "layer") -> dict:
    """The ridge a bound verdict is judged against, labelled: a level's ('ridge vs SRAM') or
    the effective ridge of the ``what``'s byte mix, with the one-line note."""
    lv = level_of(value, hardware, dtype)
    if lv is not None:
        return {"value": float(value), "label": lv["label"], "effective": False, "note": ""}
    levels = " and ".join(r["level"] for r in level_ridges(hardware, dtype))
    label = EFFECTIVE if what == "layer" else EFFECTIVE_DESIGN
    return {"value": float(value), "label": label, "effective": True,
            "note": EFFECTIVE_NOTE.format(levels=levels)}


def judged_estimate(e, what: str = "layer") -> dict:
    """:func:`judged` for an engine Estimate (a scalar one: one layer at one setting)."""
    return judged(float(e.ridge), e.hardware, e.dtype, what)


def ridges_text(hardware, dtype, unit: str, precision: bool = False) -> str:
    """'ridge vs SRAM 64.0 op/B, ridge vs flash 512 op/B' (with the precision first if asked:
    'INT8 ridge vs SRAM ...', where a view may show another precision than the track's)."""
    pre = f"{get_dtype(dtype).name.upper()} " if precision else ""
    return ", ".join(f"{pre}{r['label']} {format_ratio(r['ridge'], unit + '/B')}"
                     for r in level_ridges(hardware, dtype))


def judged_text(j: dict, unit: str) -> str:
    """'effective ridge for this layer's byte mix 508 op/B (bytes from SRAM and flash, ...)' or
    'ridge vs HBM3 591 FLOP/B'."""
    text = f"{j['label']} {format_ratio(j['value'], unit + '/B')}"
    return f"{text} ({j['note']})" if j["effective"] else text


# -- the words the Part 1-3 views use ----------------------------------------------------------

def ridges_footer(rows: list[dict], unit: str) -> str:
    """Under Part 1's comparison: the device's ridge per level; where a row's bytes come from
    two levels, that its bound is judged against its byte mix's effective ridge (its card)."""
    r0 = rows[0]
    text = (f"Ridges of the device: {ridges_text(r0['hardware'], r0['dtype'], unit)}. A layer "
            "below the ridge it is judged against waits on memory; weight reuse is what lifts "
            "a layer above it.")
    mixed = [r for r in rows if r.get("ridge_effective")]
    if mixed:
        each = ", ".join(f"{r['name']} {format_ratio(r['ridge'], unit + '/B')}" for r in mixed)
        text += f" Judged against the {EFFECTIVE}: {each} ({mixed[0]['ridge_note']})."
    return text


def reveal_judged_text(game, reveal: dict) -> str:
    """The ridge the probe layer meets at the solver's crossover, named (the 5-move reveal)."""
    u = get_track(game.track).work_unit
    text = f"{reveal['ridge_label']} {format_ratio(reveal['ridge'], u + '/B')}"
    if not reveal.get("ridge_note"):
        return text
    at = f" at {game.param} = {reveal['crossover']:,.4g}" if reveal["crossover"] is not None else ""
    return f"{text}{at} ({reveal['ridge_note']})"


def design_workload(r) -> dict:
    """The workload fields the time budget depends on, from a DesignResult (Tiny's frames)."""
    from .toolkit import FRAMES_SLOT
    return {"frames": int(r.choices.get(FRAMES_SLOT, 1))}


def design_ridge_rows(r, track) -> list[str]:
    """Part 3's card rows: the device's ridge per level at the design's precision, then - if
    the design's bytes come from two levels - the effective ridge it is judged against."""
    dtype = r.dtype or track.dtype
    u = get_dtype(dtype).work_unit
    rows = [f"| {dtype.upper()} {lv['label']} | {format_ratio(lv['ridge'], u + '/B')} | |"
            for lv in level_ridges(track.hardware, dtype)]
    j = judged(r.ridge, track.hardware, dtype, "design") if r.ridge else None
    if j and j["effective"]:
        rows.append(f"| {j['label'][:1].upper()}{j['label'][1:]} | {format_ratio(j['value'], u + '/B')} | |")
    return rows


def design_ridges(r, track) -> list[dict]:
    """Part 3's ridges for charts.design_chart: each level's at the design's precision
    ('INT8 ridge vs flash'), then the design's effective ridge if its bytes mix two levels."""
    dtype = r.dtype or track.dtype
    out = [{"ridge": lv["ridge"], "label": f"{dtype.upper()} {lv['label']}"}
           for lv in level_ridges(track.hardware, dtype)]
    j = judged(r.ridge, track.hardware, dtype, "design") if r.ridge else None
    return out + ([{"ridge": j["value"], "label": j["label"]}] if j and j["effective"] else [])


def design_footer(r, track) -> str:
    """Under Part 3's card: what an effective ridge is (if shown), and the time budget rule."""
    j = judged(r.ridge, track.hardware, r.dtype or track.dtype, "design") if r.ridge else None
    note = f"The {j['label']}: {j['note']}. " if j and j["effective"] else ""
    return note + budget_sentence(track, design_workload(r))


def budget_sentence(track, workload: dict) -> str:
    """'Time budget per run: ... = 1 ms.' (tracks.time_budget_rule as a sentence)."""
    rule = time_budget_rule(track, workload)
    return f"{rule[:1].upper()}{rule[1:]}."


def ridge_words(value, hardware, dtype) -> str:
    """A reveal's ridge in words (3 significant figures): 'ridge vs HBM3 591', or on a device
    with two levels 'ridge vs SRAM 64, ridge vs flash 512; effective ridge for this layer's
    byte mix 508' when the value is no level's."""
    levels = ", ".join(f"{r['label']} {r['ridge']:.3g}" for r in level_ridges(hardware, dtype))
    j = judged(value, hardware, dtype)
    if not j["effective"]:
        return f"{j['label']} {float(value):.3g}" + (f" (of {levels})" if "," in levels else "")
    return f"{levels}; {j['label']} {float(value):.3g} ({j['note']})"
