"""The CLI's text and CSV: cards, tables and the one-line summaries under them.

Every number comes from the API's objects and goes through :mod:`ridgeline.format` (SI
prefixes, ``significant``), so the CLI and the lab print the same figure the same way.
Standard library at import; the engine is imported from :mod:`ridgeline.api` inside functions.
"""

from __future__ import annotations

import csv
import sys

from .. import format as fmt
from .shape import figure_unit, ridges

PROFILE_CSV = ["name", "group", "kind", "count", "macs", "flops", "bytes_weights", "bytes_inputs",
               "bytes_outputs", "bytes_kv_cache", "bytes_scratch", "bytes_total", "intensity",
               "ridge", "bound", "time_s", "energy_j", "hardware", "dtype", "memory_model"]
SWEEP_CSV = ["value", "macs", "flops", "bytes", "intensity", "ridge", "bound", "time_s",
             "energy_j", "fits_memory"]


def emit_csv(header: list[str], rows: list[list]) -> None:
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)


def csv_row(d: dict) -> list:
    """One ``Estimate.to_dict()`` as a PROFILE_CSV row (the bytes breakdown flattened)."""
    flat = dict(d, **{f"bytes_{k}": v for k, v in d["bytes"].items()})
    return [flat.get(k, "") for k in PROFILE_CSV]


def _unit(dtype: str) -> str:
    """'FLOP' for floating point, 'op' for integer formats (PRODUCT.md conventions)."""
    from ..api import get_dtype
    return get_dtype(dtype).work_unit


def _source(fig) -> str:
    return fig.source + (" (estimate)" if fig.estimate else "")


def conventions(est, hw, flash: bool = False) -> str:
    """The one line that says how every number below was computed."""
    from ..api import get_dtype
    dt = get_dtype(est.dtype)
    peak_fig = hw.peaks[dt.peak_key]
    if est.memory_model == "tiled":
        model = (f"tiled (re-reads beyond {hw.onchip.name} "
                 f"{fmt.format_si(hw.onchip.capacity.value, 'B')} on chip)")
    elif est.memory_model == "placed":
        model = (f"placed (tensors that fit {hw.onchip.name} "
                 f"{fmt.format_si(hw.onchip.capacity.value, 'B')} stay on chip; epilogues and "
                 "depthwise->pointwise fused)")
    else:
        model = "compulsory (every input, weight and output moves once)"
    if flash or est.kind == "flash_attention":
        model += "; attention uses FlashAttention's IO model (Dao et al. 2022, S36)"
    u = dt.work_unit
    return (f"conventions: dense peak {fmt.format_si(est.peak, u + '/s')} [{_source(peak_fig)}], "
            f"{hw.memory.name} {fmt.format_si(hw.bandwidth, 'B/s')} "
            f"[{_source(hw.memory.bandwidth)}]; memory model {model}; "
            f"{u}s = 2 x MACs; time = max({u}s/peak, bytes/bandwidth)")


# ---------------------------------------------------------------- op: the Layer Profiler card


def estimate_card(est) -> list[tuple[str, str]]:
    """The Layer Profiler card as 'key  value' lines: intensity = FLOPs / bytes, bound by the
    ridge, time = max(FLOPs/peak, bytes/bandwidth)."""
    u, b, s = _unit(est.dtype), est.bytes, fmt.format_si
    moved = [("weights", b.weights), ("inputs", b.inputs), ("outputs", b.outputs),
             ("KV cache", b.kv_cache), ("scratch", b.scratch)]
    intensity = fmt.format_ratio(est.intensity, u + "/B")
    return [
        ("work", f"{s(est.macs, 'MAC')} = {s(est.flops, u)}"),
        ("bytes", _split(b.total, moved[:4] + [p for p in moved[4:] if p[1]], "B")),
        ("intensity", f"{intensity} = {s(est.flops, u)} / {s(b.total, 'B')}"),
        *_arithmetic(est, u),
        ("ridge", fmt.format_ratio(est.ridge, u + "/B")),
        ("bound", f"{est.bound}-bound"),
        *_placement(est),
        ("time", _split(est.time_s, [("compute", est.time_compute_s),
                                     ("memory", est.time_memory_s)], "s")),
        ("energy", _split(est.energy_j, [("compute", est.energy_compute_j),
                                         ("memory", est.energy_memory_j),
                                         ("static", est.energy_static_j)], "J")),
    ]


def _arithmetic(est, u: str) -> list[tuple[str, str]]:
    """The seed's arithmetic intensity and the on-chip bytes, when the model in use differs."""
    if est.memory_model == "compulsory" or est.arithmetic_bytes == est.bytes.total:
        return []
    s = fmt.format_si
    arith = fmt.format_ratio(est.arithmetic_intensity, u + "/B")
    lines = [("arith. int.", (f"{arith} = {s(est.flops, u)} / {s(est.arithmetic_bytes, 'B')}"
                             " (compulsory: every operand once)"))]
    if est.onchip_bytes:
        lines.append(("on chip", (f"{s(est.onchip_bytes, 'B')} served on chip"
                                 f" ({est.placement.get('reason', '')})")))
    return lines


def _placement(est) -> list[tuple[str, str]]:
    """Say so when the weights stream from the slow weight store (flash), not working memory."""
    if est.weights_in != "weight_store":
        return []
    from ..api import get_hardware
    store = get_hardware(est.hardware).weight_store
    rate = fmt.format_si(store.bandwidth.value, "B/s")
    return [("weights in", f"{store.name}: too big for working memory, streamed at {rate}")]


def _split(whole_value, parts, unit) -> str:
    """'101 MB (weights 33.6 MB, inputs 33.6 MB, ...)'; zero-valued 'static' parts dropped."""
    shown = [(k, v) for k, v in parts if v or k != "static"]
    inner = ", ".join(f"{k} {fmt.format_si(v, unit)}" for k, v in shown)
    return f"{fmt.format_si(whole_value, unit)} ({inner})"


# ---------------------------------------------------------------- profile


def workload_text(w, recipe) -> str:
    """'batch 1, decode, seq-len 8,192': the workload options the recipe uses."""
    parts = [f"batch {fmt.format_count(w.batch)}"]
    if "seq-len" in recipe.params:
        parts += [w.phase, f"seq-len {fmt.format_count(w.seq_len)}"]
    if "resolution" in recipe.params:
        parts.append(f"{w.resolution[0]}x{w.resolution[1]}")
    if "frames" in recipe.params:
        parts.append(f"frames {fmt.format_count(w.frames)}")
    if w.flash:
        parts.append("FlashAttention")
    return ", ".join(parts)


def profile_table(prof) -> str:
    """One row per layer (covering all ``count`` copies), then the totals under a rule."""
    u = _unit(prof.dtype)
    s = fmt.format_si
    rows = []
    for e in [*prof.layers, prof.totals]:
        b = e.bytes
        rows.append([e.name, "" if e.kind == "total" else fmt.format_count(e.count),
                     s(e.macs, "MAC"), s(e.flops, u), s(b.weights, "B"),
                     s(b.inputs + b.outputs + b.scratch, "B"), s(b.kv_cache, "B"),
                     fmt.format_ratio(e.arithmetic_intensity, u + "/B"),
                     _intensity(e, u), e.bound, s(e.time_s, "s"),
                     s(e.energy_j, "J")])
    headers = ["layer", "count", "MACs", f"{u}s", "weights", "activations", "KV cache",
               "arith. I", "intensity", "bound", "time", "energy"]
    return fmt.render_table(headers, rows, align="lrrrrrrrrlrr", rule_before={len(rows) - 1})


def _intensity(e, u: str) -> str:
    """The model's intensity; 'on chip' for a layer that moves no off-chip bytes (fused)."""
    if not float(e.bytes.total):
        return "on chip"
    return fmt.format_ratio(e.intensity, u + "/B")


def totals_line(t) -> str:
    u = _unit(t.dtype)
    s = fmt.format_si
    on_chip = f" (+{s(t.onchip_bytes, 'B')} on chip)" if t.onchip_bytes else ""
    return (f"total: {s(t.macs, 'MAC')} = {s(t.flops, u)}, {s(t.bytes.total, 'B')} moved off chip"
            f"{on_chip}, arithmetic intensity {fmt.format_ratio(t.arithmetic_intensity, u + '/B')}, "
            f"intensity {fmt.format_ratio(t.intensity, u + '/B')} vs ridge "
            f"{fmt.format_ratio(t.ridge, u + '/B')}: {t.bound}-bound; "
            f"{s(t.time_s, 's')} and {s(t.energy_j, 'J')} per forward pass")


def capacity_line(prof, title: str, hw) -> str:
    """The capacity check in words: does the model (weights + KV cache + activations) fit?"""
    c, s = prof.capacity, fmt.format_si
    mem = f"{s(c.memory_bytes, 'B')} of {hw.memory.name}"
    acts = f"KV cache {s(c.kv_cache_bytes, 'B')} + largest activations {s(c.activation_bytes, 'B')}"
    if c.weights_in == "weight_store":
        return _capacity_with_store(c, title, prof.dtype, hw, acts, mem)
    held = f"weights {s(c.weights_bytes, 'B')} + {acts} = {s(c.working_bytes, 'B')}"
    if bool(c.fits):
        return f"capacity: fits on {hw.key}: {held} of {mem}"
    return (f"capacity: DOES NOT FIT: {title} in {prof.dtype} does not fit {hw.name} "
            f"({hw.key}): {held} > {mem}")


def _capacity_with_store(c, title, dtype, hw, acts, mem) -> str:
    """Weights live in the weight store (flash); activations and KV cache in working memory."""
    s, store = fmt.format_si, hw.weight_store
    in_store = f"weights {s(c.weights_bytes, 'B')} in {store.name}"
    working = f"{acts} = {s(c.working_bytes, 'B')}"
    if bool(c.fits):
        return (f"capacity: fits on {hw.key}: {in_store} (of {s(store.capacity.value, 'B')}); "
                f"{working} of {mem}")
    problems = []
    if c.weights_bytes > store.capacity.value:
        problems.append(f"{in_store} exceed its {s(store.capacity.value, 'B')}")
    if c.working_bytes > c.memory_bytes:
        problems.append(f"{working} > {mem}")
    return (f"capacity: DOES NOT FIT: {title} in {dtype} does not fit {hw.name} "
            f"({hw.key}): {'; '.join(problems)}")


# ---------------------------------------------------------------- sweep and ridge


def sweep_table(param: str, rows: list[dict], dtype: str) -> str:
    u, s = _unit(dtype), fmt.format_si
    body = [[fmt.format_count(r["value"]), s(r["macs"], "MAC"), s(r["flops"], u),
             s(r["bytes"], "B"), fmt.format_ratio(r["intensity"], u + "/B"),
             fmt.format_ratio(r["ridge"], u + "/B"), r["bound"], s(r["time_s"], "s"),
             s(r["energy_j"], "J"), "yes" if r["fits_memory"] else "no"] for r in rows]
    headers = [param, "MACs", f"{u}s", "bytes", "intensity", "ridge", "bound", "time", "energy",
               "fits"]
    return fmt.render_table(headers, body, align="rrrrrrlrrl")


def ridge_lines(x) -> list[str]:
    """``ridgeline ridge``'s report after its heading: the ridge point, the crossover, the method."""
    u = _unit(x.dtype)
    return [f"ridge point: {fmt.format_ratio(x.ridge, u + '/B')} (dense peak / bandwidth)",
            crossover_sentence(x), f"method: {x.method}: {x.reason}"]


def crossover_sentence(x) -> str:
    if x.crossover is None:
        return f"crossover: none: {x.layer} never crosses the ridge as {x.param} grows"
    at = f"{x.param} = {fmt.significant(x.crossover, 4)}"
    if x.direction == "memory->compute":
        return (f"crossover: {at}: memory-bound below, compute-bound from {x.param} "
                f"{fmt.format_count(x.first_compute_bound)}")
    return f"crossover: {at}: compute-bound below, memory-bound above"


# ---------------------------------------------------------------- hardware


def hardware_table(devices) -> str:
    from ..api import DTYPES
    rows = []
    for hw in devices:
        r = ridges(hw)
        rows.append([hw.key, fmt.format_si(hw.memory.capacity.value, "B"),
                     fmt.format_si(hw.bandwidth, "B/s"), fmt.format_si(hw.tdp_w.value, "W")]
                    + [fmt.format_ratio(r[d]) if d in r else "-" for d in DTYPES])
    headers = ["device", "memory", "bandwidth", "TDP"] + list(DTYPES)
    return ("ridge point per precision = dense peak / memory bandwidth, in FLOP/B (op/B for "
            "integer formats); '-' = no peak for that format\n\n"
            + fmt.render_table(headers, rows, align="l" + "r" * (len(headers) - 1))
            + "\n\n'ridgeline hardware NAME' lists every figure with its source")


def hardware_detail(hw) -> str:
    """Every figure of one device with its cited source, then its ridge point per format."""
    from ..api import hardware_sources
    figs = hw.figures()
    rows = [[k, fmt.format_si(f.value, figure_unit(k, _peak_unit(k))), _source(f), f.note]
            for k, f in figs.items()]
    levels = ", ".join(f"{lvl} = {getattr(hw, lvl).name}" for lvl in
                       ("memory", "onchip", "weight_store") if getattr(hw, lvl) is not None)
    cited = sorted({f.source for f in figs.values()})
    return "\n".join([
        f"{hw.name} ({hw.key}): {hw.summary}",
        f"levels: {levels}; peaks are dense (not 2:4 sparse)",
        "",
        fmt.render_table(["figure", "value", "source", "note"], rows, align="lrll"),
        "",
        (f"ridge point per precision = dense peak / {hw.memory.name} bandwidth "
        f"{fmt.format_si(hw.bandwidth, 'B/s')}:"),
        fmt.render_table(["dtype", "peak", "ridge", "source", "energy/op", "source"],
                         _ridge_rows(hw), align="lrrlrl"),
        "power at a rate = static_w + dynamic energy per run x rate (docs/formulas.md §9)",
        "",
        "sources:",
        *(f"  {sid}: {hardware_sources().get(sid, '(not in sources.toml)')}"
          for sid in sorted(set(cited) | _energy_sources(hw))),
    ])


def _ridge_rows(hw) -> list[list[str]]:
    """dtype, dense peak, ridge and the energy per op on this device's process node."""
    from ..api import DTYPES, op_energy
    out = []
    for name, r in ridges(hw).items():
        d = DTYPES[name]
        peak, e_op = hw.peaks[d.peak_key], op_energy(hw, d)
        out.append([name, fmt.format_si(peak.value, d.work_unit + "/s"),
                    fmt.format_ratio(r, d.work_unit + "/B"), _source(peak),
                    fmt.format_si(e_op.value, f"J/{d.work_unit}"), _source(e_op)])
    return out


def _energy_sources(hw) -> set:
    from ..api import DTYPES, op_energy
    return {op_energy(hw, DTYPES[n]).source for n in ridges(hw)}


def _peak_unit(key: str) -> str:
    from ..api import DTYPES
    name = key.split(".", 1)[1] if key.startswith("peak.") else ""
    d = DTYPES.get(name)
    return d.work_unit if d else "FLOP"
