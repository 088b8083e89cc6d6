"""A measured layer beside its prediction, and the honest summary of a whole suite.

Per layer (docs/formulas.md §1, the roofline): predicted t = max(F / peak, B / BW) from the
engine on ``this-machine``; ratio = measured / predicted time; achieved = F / t_measured;
roof = F / t_predicted = min(peak, I BW); a point is *under the roof* when achieved <= roof
(ratio >= 1): a point above it is a model error and carries an explanation.

The measured bound places the point on the *measured hierarchical* roofline (Yang et al.
2020, S91): the layer's compulsory bytes (its working set) at the bandwidth measured for the
smallest level that holds them, against its FLOPs at the measured peak. When the measured time
exceeds ``NEITHER`` x that hierarchical roof, neither resource explains it (dispatch, threading
or a kernel far from both roofs) and the bound reads "neither".
"""

from __future__ import annotations

import math
import statistics

#: A point this many times slower than its hierarchical roof is bound by neither resource.
NEITHER = 4.0


def serving_level(working_set: float, levels: list[dict]) -> dict:
    """The smallest cache that holds ``working_set`` bytes, else the last (off-chip) level."""
    for lv in levels[:-1]:
        if lv["capacity"] and working_set <= lv["capacity"]:
            return lv
    return levels[-1]


def measured_bound(flops: float, working_set: float, t_measured: float, peak: float,
                   levels: list[dict]) -> tuple[str, dict]:
    """('compute' | 'memory' | 'neither', serving level) on the measured hierarchical roofline."""
    lv = serving_level(working_set, levels)
    t_compute, t_memory = flops / peak, working_set / lv["bandwidth"]
    if t_measured > NEITHER * max(t_compute, t_memory):
        return "neither", lv
    return ("compute" if t_compute >= t_memory else "memory"), lv


def compare(name: str, kind: str, est, timing, peak: float, levels: list[dict]) -> dict:
    """One row of the --json ``layers`` list from the engine's Estimate and a Timing."""
    t_pred, t_meas = float(est.time_s), timing.median_s
    flops, moved = float(est.flops), float(est.bytes.total + est.onchip_bytes)
    working_set = float(est.arithmetic_bytes if est.arithmetic_bytes is not None else moved)
    bound, lv = measured_bound(flops, working_set, t_meas, peak, levels)
    row = {"name": name, "kind": kind, "flops": flops, "bytes": moved,
           "predicted_time_s": t_pred, "measured_time_s": t_meas, "spread": timing.spread,
           "repeats": timing.repeats, "warmup": timing.warmup,
           "achieved_flops": flops / t_meas, "roof_flops": flops / t_pred,
           "predicted_bound": str(est.bound), "measured_bound": bound,
           "ratio": t_meas / t_pred, "level": lv["name"], "working_set": working_set}
    row["note"] = explain(row, peak, levels) if row["ratio"] < 1 else ""
    return row


def explain(row: dict, peak: float, levels: list[dict]) -> str:
    """Why a point sits above the engine's roof (measured faster than predicted), the first
    that applies: above the measured peak; a memory-bound layer served by a faster cache, or
    streaming faster than the DRAM probe measured; the engine counting more bytes than the
    working set; else noise."""
    lv, far = serving_level(row["working_set"], levels), levels[-1]
    if row["achieved_flops"] > peak:
        return (f"faster than the measured GEMM peak ({row['achieved_flops'] / 1e9:.3g} > "
                f"{peak / 1e9:.3g} GFLOP/s): the peak probe was slowed by load or too small")
    if row["predicted_bound"] == "memory" and lv is not far and lv["bandwidth"] > far["bandwidth"]:
        return (f"working set {row['working_set'] / 1e6:.3g} MB fits {lv['name']} "
                f"({lv['bandwidth'] / 1e9:.3g} GB/s measured) but the engine streams it from "
                f"{far['name']} ({far['bandwidth'] / 1e9:.3g} GB/s)")
    if row["predicted_bound"] == "memory" and row["working_set"] / row["measured_time_s"] > far["bandwidth"]:
        return (f"it streamed {row['working_set'] / row['measured_time_s'] / 1e9:.3g} GB/s, more "
                f"than the {far['bandwidth'] / 1e9:.3g} GB/s the {far['name']} probe measured: "
                "the bandwidth probe was slowed by load")
    if row["bytes"] > row["working_set"] * 1.05:
        return (f"the engine counts {row['bytes'] / 1e6:.3g} MB moved, more than the "
                f"{row['working_set'] / 1e6:.3g} MB working set the kernel needed")
    return (f"within noise: {1 - row['ratio']:.0%} under the prediction "
            f"with spread {row['spread']:.0%} on a shared machine")


def summary(rows: list[dict]) -> dict:
    """under_roof_share, median_ratio, worst_ratio (farthest from 1 either way, in log
    terms) and bound_agreement over the measured layers; None figures for an empty suite."""
    if not rows:
        return {"under_roof_share": None, "median_ratio": None, "worst_ratio": None,
                "bound_agreement": None, "layers": 0}
    ratios = [r["ratio"] for r in rows]
    return {"under_roof_share": sum(r >= 1 for r in ratios) / len(rows),
            "median_ratio": statistics.median(ratios),
            "worst_ratio": max(ratios, key=lambda r: abs(math.log(r))),
            "bound_agreement": sum(r["predicted_bound"] == r["measured_bound"] for r in rows) / len(rows),
            "layers": len(rows)}
