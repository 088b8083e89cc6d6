"""Text the lab shows, as plain strings: escaping, times, tables, slider stops.

The notebook only wires widgets; anything that turns data into display text lives here so it
can be tested without a browser. Nothing here computes a physical quantity: the numbers come
from the engine through tracks/questions/workbench/challenge, and :mod:`ridgeline.format`
writes them. Standard library only (no marimo), like the other lab logic modules.
"""

from __future__ import annotations

import html
import math
import re

from ..format import format_ratio, format_si

#: Characters that mean something to markdown, HTML or marimo's LaTeX ($ … $, \( … \), \[ … \]).
_MD_SPECIAL = re.compile(r"[\\`*_{}\[\]()#+!|<>$~&^]")


def escape_html(text) -> str:
    """``text`` safe inside HTML: <, >, &, quotes escaped (so ``</script>`` is inert)."""
    return html.escape(str(text), quote=True)


def escape_md(text) -> str:
    """``text`` safe inside a marimo markdown string: markdown, HTML and LaTeX ``$`` inert.

    Each special character becomes a numeric HTML entity (``$`` -> ``&#36;``): markdown and
    the LaTeX pass see no syntax, the browser shows the character. (Backslash escapes would not
    do: ``\\(`` starts inline math in marimo.) Newlines become explicit line breaks, so a
    student's ``**`` or ``$x$`` or ``</script>`` reads back literally.
    """
    escaped = _MD_SPECIAL.sub(lambda m: f"&#{ord(m.group(0))};", str(text))
    return escaped.replace("\r\n", "\n").replace("\n", "  \n")


def user_text_html(text, max_chars: int = 20_000) -> str:
    """A student's text as an HTML block that keeps line breaks and shows markup literally.

    Very long text is cut for display (the ledger and the report keep all of it).
    """
    s = str(text)
    cut = len(s) > max_chars
    shown = escape_html(s[:max_chars]) + (f" … ({len(s) - max_chars:,} more characters)"
                                           if cut else "")
    return ('<div style="white-space: pre-wrap; overflow-wrap: anywhere; '
            'border-left: 3px solid #bbb; padding-left: 0.6em">' + shown + "</div>")


def when(iso: str) -> str:
    """'2026-11-24T02:31:05.123Z' -> '2026-11-24 02:31:05 UTC' (what 'Locked at' shows)."""
    s = str(iso)
    if len(s) >= 19 and s[10] == "T":
        return f"{s[:10]} {s[11:19]} UTC"
    return s


def locked_line(entry: dict) -> str:
    """``Locked at <time>`` for a stored lock entry (the UI contract's text)."""
    return f"Locked at {when(entry['time'])}"


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
        return escape_md(value)


def pairs_table(pairs, headers=("", "")) -> str:
    """A two-column markdown table from (label, value) pairs; labels escaped, values formatted."""
    rows = [f"| {escape_md(headers[0])} | {escape_md(headers[1])} |", "|---|---:|"]
    for label, value in pairs:
        rows.append(f"| {_one_line(label)} | {number(value)} |")
    return "\n".join(rows)


def compare_table(student: dict, computed: dict) -> str:
    """'Your prediction' beside 'Computed' for every key either side has."""
    keys = list(dict.fromkeys([*student, *computed]))
    rows = ["| | Your prediction | Computed |", "|---|---|---|"]
    for k in keys:
        rows.append(f"| {_one_line(k)} | {_cell(student.get(k))} | {_cell(computed.get(k))} |")
    return "\n".join(rows)


def _cell(v) -> str:
    if v is None:
        return "—"
    return number(v) if isinstance(v, (int, float)) else _one_line(v)


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
             ("Ridge", format_ratio(est["ridge"], f"{unit}/B")),
             ("Bound", f"{est['bound']}-bound"),
             ("Time", format_si(est["time_s"], "s")),
             ("Energy", format_si(est["energy_j"], "J"))]
    return rows


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
