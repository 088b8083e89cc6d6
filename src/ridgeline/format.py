"""Numbers for people: SI prefixes (``4.09 GMAC``, ``141 GB``, ``42.1 ms``) and aligned tables.

The core keeps plain floats in SI base units; units appear only here, at the edge.
Standard library only, so the CLI and the lab can format without importing anything heavy.
Values may be numpy scalars: everything goes through ``float()`` first.
"""

from __future__ import annotations

import math

#: SI prefixes by power of ten (decimal, as storage and bandwidth are quoted: 1 GB = 1e9 B).
PREFIXES = {-15: "f", -12: "p", -9: "n", -6: "µ", -3: "m", 0: "", 3: "k", 6: "M", 9: "G",
            12: "T", 15: "P", 18: "E", 21: "Z", 24: "Y"}
_LOWEST, _HIGHEST = min(PREFIXES), max(PREFIXES)


def significant(x: float, digits: int = 3) -> str:
    """``x`` with ``digits`` significant figures in fixed notation: 295.34 -> '295', 7.1 -> '7.10'."""
    if x == 0:
        return "0"
    r = float(f"{x:.{digits - 1}e}")  # round first, so 0.9997 -> 1.00 (not 1.000)
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(r))))
    return f"{r:.{decimals}f}"


def format_si(value, unit: str = "", digits: int = 3) -> str:
    """``value`` scaled to an SI prefix with ``digits`` significant figures, then ``unit``.

    4.09e9, 'MAC' -> '4.09 GMAC';  0.0421, 's' -> '42.1 ms';  0 -> '0 B'.
    Rounding that reaches 1000 moves to the next prefix (999.7e6 -> '1.00 G').
    """
    x = float(value)
    if math.isnan(x) or math.isinf(x):
        return f"{x} {unit}".rstrip()
    if x == 0:
        return f"0 {unit}".rstrip()
    exp = 3 * math.floor(math.log10(abs(x)) / 3)
    if not _LOWEST <= exp <= _HIGHEST:  # beyond the prefixes: scientific notation
        return f"{x:.{digits - 1}e} {unit}".rstrip()
    text = significant(x / 10.0**exp, digits)
    if abs(float(text)) >= 1000 and exp < _HIGHEST:
        exp += 3
        text = significant(x / 10.0**exp, digits)
    return f"{text} {PREFIXES[exp]}{unit}".rstrip()


def format_ratio(value, unit: str = "", digits: int = 3) -> str:
    """A ratio without prefixes, as intensities are quoted: 295.3 -> '295', 1365.3 -> '1,365'.

    Three significant figures below 1000, a whole number with thousands separators up to a
    million, SI prefixes beyond (a 1e7 FLOP/B intensity reads better as '10.0 MFLOP/B').
    """
    x = float(value)
    if math.isnan(x) or math.isinf(x) or abs(x) >= 1e6:
        return format_si(x, unit, digits)
    text = significant(x, digits)
    if abs(float(text)) >= 1000:
        text = f"{round(x):,}"
    return f"{text} {unit}".rstrip()


def format_count(value) -> str:
    """A whole number with thousands separators: 8192 -> '8,192' (non-integers keep 4 figures)."""
    x = float(value)
    if x.is_integer():
        return f"{int(x):,}"
    return f"{x:,.4g}"


def render_table(headers: list[str], rows: list[list], align: str | None = None,
                 rule_before: set[int] | None = None, gap: int = 2) -> str:
    """Rows of strings as aligned columns under a header and a dashed rule.

    ``align`` is one character per column, 'l' or 'r' (default: first left, the rest right,
    so numbers line up on their units). ``rule_before`` holds row indices that get a dashed
    rule above them (e.g. the totals row).
    """
    cells = [[str(c) for c in headers]] + [[str(c) for c in r] for r in rows]
    ncol = len(headers)
    if any(len(r) != ncol for r in cells):
        raise ValueError("every row needs one cell per header")
    align = align or "l" + "r" * (ncol - 1)
    widths = [max(len(r[i]) for r in cells) for i in range(ncol)]
    rule = (" " * gap).join("-" * w for w in widths)

    def line(r):
        parts = [c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(r, widths, align)]
        return (" " * gap).join(parts).rstrip()

    out = [line(cells[0]), rule]
    for i, r in enumerate(cells[1:]):
        if rule_before and i in rule_before:
            out.append(rule)
        out.append(line(r))
    return "\n".join(out)


def render_pairs(pairs: list[tuple[str, str]], gap: int = 2) -> str:
    """'key  value' lines with the keys padded to one width (a one-record card)."""
    width = max((len(k) for k, _ in pairs), default=0)
    return "\n".join(f"{k.ljust(width)}{' ' * gap}{v}".rstrip() for k, v in pairs)
