"""Text the lab shows, as plain strings: escaping, times, tables, slider stops.

The notebook only wires widgets; anything that turns data into display text lives here so it
can be tested without a browser. Nothing here computes a physical quantity: the numbers come
from the engine through tracks/questions/workbench/challenge, and :mod:`ridgeline.format`
writes them. Standard library only (no marimo), like the other lab logic modules.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict

from ..format import format_ratio, format_si
from . import story
from .card_text import card_pairs
from .mathpeek import latex_number
from .tracks import SCALE_LABELS, time_budget, time_budget_rule, workload_kwargs

design_ridges = story.design_ridges  # Part 3's chart: each level's ridge, an effective one named

#: Characters that mean something to markdown, HTML or marimo's LaTeX ($ … $, \( … \), \[ … \]).
_MD_SPECIAL = re.compile(r"[\\`*_{}\[\]()#+!|<>$~&^]")


def escape_md(text) -> str:
    """``text`` safe inside a marimo markdown string: markdown, HTML and LaTeX ``$`` inert.

    Each special character becomes a numeric HTML entity (``$`` -> ``&#36;``): markdown and
    the LaTeX pass see no syntax, the browser shows the character. (Backslash escapes would not
    do: ``\\(`` starts inline math in marimo.) Newlines become explicit line breaks, so a
    student's ``**`` or ``$x$`` or ``</script>`` reads back literally.
    """
    escaped = _MD_SPECIAL.sub(lambda m: f"&#{ord(m.group(0))};", str(text))
    return escaped.replace("\r\n", "\n").replace("\n", "  \n")


def when(iso: str) -> str:
    """'2026-11-24T02:31:05.123Z' -> '2026-11-24 02:31:05 UTC' (what 'Locked at' shows)."""
    s = str(iso)
    if len(s) >= 19 and s[10] == "T":
        return f"{s[:10]} {s[11:19]} UTC"
    return s


def batch_layout(names) -> str:
    """The markdown template for ``mo.md(...).batch(...)``: one ``{name}`` per paragraph."""
    return "\n\n".join("{" + n + "}" for n in names)


def already_locked(part: int, entry: dict) -> str:
    """Told to a tab whose lock lost to an earlier one (first lock per part wins)."""
    return (f"Part {part} was already locked (in another tab) at {when(entry['time'])} with "
            f"'{entry['payload'].get('choice')}'; the first lock stands.")


def locked_line(entry: dict) -> str:
    """``Locked at <time>`` for a stored lock entry (the UI contract's text)."""
    return f"Locked at {when(entry['time'])}"


def finite_or_none(value) -> float | None:
    """``value`` as a finite float, else None (a stored number may be missing or 'inf')."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def number(value, unit: str = "") -> str:
    """A number for a table cell: ratios under 1e6 plainly, large counts with SI prefixes."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        x = float(value)
        if math.isfinite(x) and (abs(x) >= 1e6 or (x != 0 and abs(x) < 1e-2)):
            return format_si(x, unit)
        return format_ratio(x, unit)
    try:
        return format_ratio(float(value), unit)
    except (TypeError, ValueError):
        return _one_line(value)


def pairs_table(pairs, headers=("", "")) -> str:
    """A two-column markdown table from (label, value) pairs; labels escaped, values formatted."""
    rows = [f"| {escape_md(headers[0])} | {escape_md(headers[1])} |", "|---|---:|"]
    for label, value in pairs:
        rows.append(f"| {_one_line(label)} | {number(value)} |")
    return "\n".join(rows)


def _one_line(text) -> str:
    """Escaped text for a table cell (a newline would end the row)."""
    return escape_md(" ".join(str(text).split()))


def slider_steps(lo: int, hi: int, default: int) -> list[int]:
    """Slider stops from ``lo`` to ``hi``: every integer for short ranges, else octaves.

    Wide ranges (batch 1..1024, sequence 128..131072) move in powers of two from both ends,
    which keeps the slider usable and each move a meaningful doubling; the default is a stop.
    """
    lo, hi, default = int(lo), int(hi), int(default)
    if hi <= lo:
        return [lo]
    if hi - lo <= 64:
        return list(range(lo, hi + 1))
    stops = {lo, hi, default}
    x = lo
    while x < hi:
        stops.add(x)
        x *= 2
    x = hi
    while x > lo:
        stops.add(x)
        x //= 2
    return sorted(s for s in stops if lo <= s <= hi)


def card_markdown(est: dict, unit: str = "FLOP") -> str:
    """The card as a two-column markdown table."""
    name = escape_md(est.get("name", ""))
    if est.get("count", 1) > 1:
        name += f" (one of {est['count']} copies)"
    rows = ["| Layer Profiler | " + name + " |", "|---|---:|"]
    rows += [f"| {k} | {escape_md(v)} |" for k, v in card_pairs(est, unit)]
    return "\n".join(rows)


def track_markdown(track, device_name: str, crisis: dict) -> str:
    """The track card: persona, mission, model, device, and the crisis in its own numbers."""
    return "\n".join([
        f"## {escape_md(track.title)}", "",
        f"**Persona:** {escape_md(track.persona)}  ",
        f"**North-star mission:** {escape_md(track.mission)}  ",
        (f"**Lighthouse model:** `{track.model}` · **Device:** {escape_md(device_name)} · "
         f"**Precision:** {track.dtype.upper()}"), "",
        f"**The intensity crisis.** {escape_md(track.crisis_text)}", "",
        pairs_table(crisis.items(), ("The crisis in this track's numbers", "value")),
    ])


PEEK_TITLES = {"layer": "Intensity of this layer (the seed's: every operand off chip)",
               "energy": "Energy of one pass (placed: where the bytes live, the card's Placed rows)",
               "roofline": "Time and ridge (roofline; placed, as the card's Placed rows)",
               "gemm": "For comparison, the track's Linear layer (GEMM)",
               "conv": "For comparison, a convolution of the model",
               "attention": "For comparison, the model's attention"}

REFLECT_PROMPTS = {  # the seed's reflections (Part 3 verbatim)
    1: ("Weight reuse: why does the Linear layer hit the memory wall while the conv (or "
        "attention) does not — or does it? Use your numbers."),
    2: ("Where is the ridge point for this layer, and why does scaling (batch, sequence length / "
        "resolution / frames) break the system — which limit breaks first: the memory wall, "
        "capacity, or the deadline?"),
    3: ("Defend your final operator mix. Did you sacrifice Arithmetic Intensity to save power? "
        "Explain the 'Conservation of Complexity' in your design."),
}


def peek_markdown(peek: dict, keys=("layer", "energy", "roofline")) -> str:
    """Math peek: each formula (LaTeX from workbench.math_peek) as a display equation."""
    out = ["#### Math peek: the formulas with your numbers", "",
           "FLOPs = 2 × MACs; s = bytes per element; intensity I = FLOPs / bytes moved."]
    for k in keys:
        if peek.get(k):
            out += ["", f"**{PEEK_TITLES.get(k, k)}**", "", "$$", peek[k], "$$"]
    return "\n".join(out)


def compare_rows_markdown(rows: list[dict], unit: str = "FLOP") -> str:
    """Part 1's comparison table: per layer FLOPs, bytes, weight reuse, intensity, bound."""
    out = ["| Layer | FLOPs | Bytes | Weight reuse (MACs / weight) | Intensity | Bound |",
           "|---|---:|---:|---:|---:|---|"]
    for r in rows:
        reuse = format_ratio(r["weight_reuse"]) if r.get("weight_reuse") else "no weights"
        out.append(f"| {_one_line(r['name'])} | {format_si(r['flops'], unit)} | "
                   f"{format_si(r['bytes']['total'], 'B')} | {reuse} | "
                   f"{format_ratio(r['intensity'], unit + '/B')} | {r['bound']} |")
    if rows:
        out += ["", escape_md(story.ridges_footer(rows, unit))]
    return "\n".join(out)


def breaks_markdown(track, traj: dict, prof) -> str:
    """Where scaling breaks the system: at the sliders, and first along the swept range."""
    label = track.scale_label
    b, w = traj["breaks"], asdict(prof.workload)
    t = float(prof.totals.time_s)
    late = t > time_budget(track, w)
    lines = ["#### Where scaling breaks the system", "",
             f"- At this setting: memory {escape_md(prof.capacity.message())}.",
             (f"- The whole model, one pass: {format_si(t, 's')} against the "
              f"{escape_md(time_budget_rule(track, w))}: {'**misses it**' if late else 'meets it'}.")]
    unfit, first_late = b.get("first_unfit"), b.get("first_late")
    grid = " (the first of the plot's 40 sampled values past the limit)"
    lines.append(f"- Along {label}: " + (f"exceeds device memory by {label} = {unfit:,.0f}{grid}."
                                        if unfit is not None else
                                        "fits device memory over the whole range."))
    lines.append(f"- Along {label}: " + (f"misses the time budget per run by {label} = "
                                        f"{first_late:,.0f}{grid}." if first_late is not None else
                                        "meets the time budget per run over the whole range."))
    return "\n".join(lines)


def probe_intro(game) -> str:
    """The 5-move rule, stated, with the counter the UI contract names."""
    label = SCALE_LABELS.get(game.param, game.param)
    return "\n".join([
        "#### The 5-move rule", "",
        (f"Bracket where **{escape_md(game.layer)}** flips between memory- and compute-bound as "
        f"{label} goes from {game.lo:,} to {game.hi:,} (other settings at the track's defaults) "
        "- or show that it never flips in that range, which is an answer too. "
        f"Each committed probe answers *memory* or *compute*; after {game.limit}, the solver's "
        "exact crossover (or why there is none) is revealed."), "",
        f"**Probes used: {game.used}/{game.limit}**"])


def probes_markdown(game) -> str:
    """The committed probes, the bracket so far, and after the last one the solver's answer."""
    if not game.probes:
        return "*No probes committed yet.*"
    out = ["| # | Value | Bound |", "|---:|---:|---|"]
    out += [f"| {i} | {v:,} | {a} |" for i, (v, a) in enumerate(game.probes, 1)]
    out += ["", f"Your bracket: {bracket_words(*game.bracket)}."]
    if game.done:
        r = game.reveal()
        verdict = ("your bracket contains it ✅" if r["bracket_contains"]
                   else "outside your bracket")
        head = (f"**{escape_md(r['text'])}**" if r["crossover"] is not None
                else f"**{escape_md(game.layer)} never crosses**")
        out += ["", head + (f" — {verdict}." if r["crossover"] is not None
                            else " in the slider's range."),
                "", f"*Solver:* {escape_md(r['reason'])}",
                "", f"*Judged against:* {escape_md(story.reveal_judged_text(game, r))}"]
    return "\n".join(out)


def bracket_words(lo, hi) -> str:
    """'2,560 – 5,120'; with one side open, 'above 2,560 (no probe has seen it flip yet)'."""
    if lo is not None and hi is not None:
        return f"{lo:,} – {hi:,}"
    if lo is None and hi is None:
        return "none yet"
    side = f"above {lo:,}" if hi is None else f"below {hi:,}"
    return f"{side} (no probe has seen it flip yet)"


_WORKLOAD_FIELD = {"batch": "batch", "seq-len": "seq_len", "frames": "frames",
                   "resolution": "resolution"}


def slider_default(track, param: str, part: int = 1) -> int:
    """Where a slider starts: the track's default, or in Part 3 its challenge workload."""
    lo, hi, default = track.sliders[param]
    if part == 3:
        value = workload_kwargs(track, part=3)[_WORKLOAD_FIELD[param]]
        default = value[0] if param == "resolution" else value
    return int(min(max(int(default), lo), hi))


def slider_args(track, param: str, part: int = 1) -> dict:
    """``steps`` and ``value`` for ``mo.ui.slider`` (the start value is always a stop)."""
    lo, hi, _ = track.sliders[param]
    value = slider_default(track, param, part)
    return {"steps": slider_steps(lo, hi, value), "value": value}


# -- Part 3 ------------------------------------------------------------------------------------

def restored_design(track, submitted: dict | None) -> dict:
    """Where Part 3's widgets start: the last submitted design (so a reload loses nothing),
    else the starting design at the challenge workload. Saved slider values are kept only if
    they are still stops of their slider."""
    from .challenge import starting_design, toolkit_slots
    start = starting_design(track)
    out = {"choices": {s.name: start[s.name] for s in toolkit_slots(track)},
           "batch": slider_args(track, "batch", part=3)["value"],
           "scale": slider_args(track, track.scale_param, part=3)["value"],
           "floor": track.intensity_floor}
    if not submitted:
        return out
    p = submitted.get("payload", {})
    for s in toolkit_slots(track):
        if p.get("choices", {}).get(s.name) in s.choices:
            out["choices"][s.name] = p["choices"][s.name]
    for key, param in (("batch", "batch"), ("scale", track.scale_param)):
        if p.get(key) in slider_args(track, param, part=3)["steps"]:
            out[key] = p[key]
    if isinstance(p.get("floor"), (int, float)) and p["floor"] >= 0:
        out["floor"] = p["floor"]
    return out


def design_markdown(r, track) -> str:
    """Live PASS/FAIL with reasons and the numbers that decide it."""
    u = getattr(r, "work_unit", track.work_unit)
    verdict = "PASS" if r.passes else "FAIL"
    out = [f"### Status: {verdict}", ""]
    out += [f"- {escape_md(reason)}" for reason in (r.reasons or [])]
    out += ["", "| Quantity | Your design | Requirement |", "|---|---:|---:|",
            (f"| Power at {format_ratio(_get(r, 'rate_hz', track.rate_hz))} runs/s | "
            f"{format_si(r.power_w, 'W')} | ≤ {format_si(_get(r, 'power_budget_w', track.power_budget_w), 'W')} |"),
            (f"| … static power (paid idle or busy) + dynamic energy × rate | "
             f"{format_si(_get(r, 'static_w', 0.0), 'W')} + the rest | |"),
            (f"| Aggregate arithmetic intensity | {format_ratio(r.intensity, u + '/B')} | "
            f"≥ {format_ratio(_get(r, 'floor', track.intensity_floor), u + '/B')} (floor) |"),
            *story.design_ridge_rows(r, track),
            (f"| Time per run | {format_si(r.time_s, 's')} | "
            f"≤ {format_si(_get(r, 'time_budget_s', track.deadline_s), 's')} |"),
            f"| Energy per run (where the bytes live) | {format_si(r.energy_j, 'J')} | |",
            f"| Work | {format_si(r.flops, u)} | |",
            f"| Bytes, every operand once (arithmetic) | {format_si(r.bytes, 'B')} | |",
            (f"| Bytes off chip (where they live: what the time and energy follow) | "
             f"{format_si(_get(r, 'offchip_bytes', r.bytes), 'B')} | |"),
            "", escape_md(story.design_footer(r, track))]
    return "\n".join(out)


def _get(r, name, fallback):
    """An extension field of DesignResult if present and set, else the track's figure."""
    v = getattr(r, name, None)
    return v if v else fallback


def design_peek(r, track) -> str:
    """Math peek for Part 3: the aggregate intensity and power with the design's numbers."""
    u = getattr(r, "work_unit", track.work_unit)
    return "\n".join([
        "#### Math peek: the design's formulas with your numbers", "",
        "**Aggregate intensity** (sum over the layers, not an average of ratios)", "", "$$",
        (rf"I = \frac{{\sum_\ell F_\ell}}{{\sum_\ell B_\ell}} = \frac{{{_tex(r.flops)}\ \text{{{u}}}}}"
        rf"{{{_tex(r.bytes)}\ \text{{B}}}} = {_tex(r.intensity)}\ \text{{{u}/B}}"), "$$", "",
        "**Power at the required rate** (static power all the time, dynamic energy per run)", "", "$$",
        (rf"P = P_{{\text{{static}}}} + E_{{\text{{dyn}}}} \times r = {_tex(_get(r, 'static_w', 0.0))}\ \text{{W}} + "
         rf"{_tex(r.energy_j - _get(r, 'static_w', 0.0) * r.time_s)}\ \text{{J}} \times "
         rf"{_tex(_get(r, 'rate_hz', track.rate_hz))}\ \text{{/s}} = {_tex(r.power_w)}\ \text{{W}}"), "$$"])


_tex = latex_number  # 4 significant figures with LaTeX powers of ten, as the math peek


def design_point(payload: dict) -> dict | None:
    """The submitted design as a chart point, or None if the stored entry lacks its numbers."""
    res = payload.get("result") or {}
    try:
        return {"intensity": float(res["intensity"]), "energy_j": float(res["energy_j"]),
                "power_w": float(res["power_w"])}
    except (KeyError, TypeError, ValueError):
        return None


def design_rows(results) -> list[dict]:
    """All mixes as chart rows: a label, intensity, power, energy and PASS/FAIL."""
    return [{"label": " · ".join(str(v) for v in r.choices.values()), "intensity": r.intensity,
             "power_w": r.power_w, "energy_j": r.energy_j, "passes": bool(r.passes),
             "fails": ", ".join(k for k, ok in r.checks.items() if not ok)}
            for r in results]


def submitted_markdown(entry: dict, results) -> str:
    """The submitted design and how it compares with every mix at the same settings."""
    p = entry["payload"]
    res = p.get("result") or {}
    passing = [r for r in results if r.passes]
    verdict = "PASS" if res.get("passes") else "FAIL"
    lines = [f"### Submitted design ({verdict}), {when(entry['time'])}", "",
             " · ".join(f"{escape_md(k)}: **{escape_md(v)}**" for k, v in p["choices"].items()),
             "", f"Of {len(results)} possible mixes, {len(passing)} pass."]
    if passing:
        best = min(passing, key=lambda r: r.power_w)
        lines.append(f"The lowest-power passing mix draws {format_si(best.power_w, 'W')} at "
                     f"{format_ratio(best.intensity, best.work_unit + '/B')}: "
                     + "; ".join(f"{escape_md(k)}: {escape_md(v)}" for k, v in best.choices.items())
                     + ".")
    return "\n".join(lines)


# the reveal's tables live in reveal_text (imported last: it uses number, pairs_table above)
from .reveal_text import REVEAL_LABELS, compare_table, numbers_table  # noqa: F401
