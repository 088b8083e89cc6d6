"""The Layer Profiler card's rows as (label, value) text pairs (views.card_markdown lays them out)."""

from __future__ import annotations

from ..format import format_ratio, format_si


def card_pairs(est: dict, unit: str = "FLOP") -> list[tuple[str, str]]:
    """Layer Profiler card rows from an estimate's JSON (``Estimate.to_dict()``).

    FLOPs = 2 x MACs is stated beside the count; bytes keep their named breakdown.
    """
    b = est["bytes"]
    rows = [("MACs", format_si(est["macs"], "MAC")),
            ("FLOPs", f"{format_si(est['flops'], unit)}  (= 2 × MACs)")]
    for kind in ("weights", "inputs", "outputs", "kv_cache"):
        if b.get(kind):
            rows.append((f"Bytes: {kind.replace('_', ' ')}", format_si(b[kind], "B")))
    rows += [("Bytes: total", format_si(b["total"], "B")),
             ("Intensity", format_ratio(est["intensity"], f"{unit}/B")),
             *_ridge_pairs(est, unit),
             ("Bound", f"{est['bound']}-bound"),
             ("Time", format_si(est["time_s"], "s")),
             ("Energy", format_si(est["energy_j"], "J"))]
    return rows + _placed_pairs(est.get("placed"))


def _ridge_pairs(est: dict, unit: str) -> list[tuple[str, str]]:
    """The device's ridge per memory level ('Ridge vs flash'), then, for a layer whose bytes
    come from two levels, the effective ridge its bound is judged against, named as such."""
    if "ridges" not in est:  # a bare Estimate.to_dict(): one ridge, the engine's
        return [("Ridge", format_ratio(est["ridge"], f"{unit}/B"))]
    cap = lambda text: text[:1].upper() + text[1:]
    rows = [(cap(r["label"]), format_ratio(r["ridge"], f"{unit}/B")) for r in est["ridges"]]
    if est.get("ridge_effective"):
        rows.append((cap(est["ridge_label"]),
                     f"{format_ratio(est['ridge'], f'{unit}/B')}: {est['ridge_note']}"))
    return rows


def _placed_pairs(placed: dict | None) -> list[tuple[str, str]]:
    """Where the bytes really live (placed model): the card's time and energy on real chips."""
    if not placed:
        return []
    where = f" ({placed['where']})" if placed["where"] not in ("", "off chip") else ""
    return [("Placed rows", "where bytes live (rows above: all off chip)"),
            ("Placed: bytes", (f"{format_si(placed['offchip_bytes'], 'B')} off chip, "
                              f"{format_si(placed['onchip_bytes'], 'B')} on chip{where}")),
            ("Placed: time", f"{format_si(placed['time_s'], 's')} ({placed['bound']}-bound)"),
            ("Placed: energy", format_si(placed["energy_j"], "J"))]
