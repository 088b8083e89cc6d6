"""The class report as one self-contained HTML page: inline CSS and SVG, no script, no network.

Drawn from :func:`ridgeline.lab.classreport.summarize`. Every student-supplied string goes
through :func:`html.escape`, so a reflection holding ``</style><script>`` stays text. Charts
are hand-written SVG on log axes (intensities, energies and crossovers span decades):
x = (log10 v - log10 lo) / (log10 hi - log10 lo) * width.
"""

from __future__ import annotations

import math
from html import escape

W, H, PAD = 520, 220, 40
CSS = """body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem}
.ok{background:#d9f2d9}.note{color:#555}blockquote{border-left:3px solid #ccc;margin:.4rem 0;
padding:.1rem .7rem;white-space:pre-wrap}svg{background:#fafafa;border:1px solid #ddd}"""


def _fmt(v) -> str:
    return "—" if v is None else (f"{v:.4g}" if isinstance(v, float) else escape(str(v)))


def _log_x(lo: float, hi: float):
    """Value -> pixel on a log axis spanning [lo, hi] (a decade each side if lo == hi)."""
    a, b = math.log10(lo), math.log10(hi)
    if b - a < 1e-9:
        a, b = a - 1, b + 1
    return lambda v: PAD + (math.log10(v) - a) / (b - a) * (W - 2 * PAD)


def _log_y(lo: float, hi: float):
    a, b = math.log10(lo), math.log10(hi)
    if b - a < 1e-9:
        a, b = a - 1, b + 1
    return lambda v: H - PAD - (math.log10(v) - a) / (b - a) * (H - 2 * PAD)


def _svg(body: list[str], label: str) -> str:
    return (f'<svg width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" '
            f'aria-label="{escape(label)}">' + "".join(body) + "</svg>")


def _axis_text(x, y, text, anchor="middle") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="11" text-anchor="{anchor}">{text}</text>'


def numbers_strip(numbers: list, computed) -> str:
    """Each student's number as a dot on a log axis; the computed answer as a red line."""
    pos = [v for v in numbers if v > 0] + ([computed] if computed and computed > 0 else [])
    if not pos:
        return ""
    x = _log_x(min(pos), max(pos))
    body = [f'<circle cx="{x(v):.1f}" cy="{H / 2 + (i % 7 - 3) * 6:.1f}" r="3" '
            f'fill="#3366aa" fill-opacity=".6"/>' for i, v in enumerate(numbers) if v > 0]
    if computed and computed > 0:
        body += _reference(x(computed), PAD, PAD - 8, f"computed {computed:.4g}")
    body += _range_labels(min(pos), max(pos))
    return _svg(body, "the class's numbers beside the computed one")


def _reference(xpos: float, top: float, label_y: float, label: str) -> list[str]:
    """The engine's answer: a red vertical line from ``top`` down, its label at ``label_y``."""
    line = (f'<line x1="{xpos:.1f}" x2="{xpos:.1f}" y1="{top}" y2="{H - PAD}" stroke="#c00" '
            'stroke-width="2"/>')
    return [line, _axis_text(xpos, label_y, label)]


def _range_labels(lo: float, hi: float) -> list[str]:
    """The log axis' two ends, under the plot."""
    return [_axis_text(PAD, H - 10, f"{lo:.3g}", "start"),
            _axis_text(W - PAD, H - 10, f"{hi:.3g}", "end")]


def brackets_chart(rows: list, crossover) -> str:
    """One line per student from the bracket's low to its high end; the crossover in red."""
    vals = [v for _, _, b in rows for v in b if v] + ([crossover] if crossover else [])
    if not vals:
        return ""
    x = _log_x(min(vals), max(vals))
    step = (H - 2 * PAD) / max(1, len(rows))
    body = []
    for i, (_, _, (lo, hi)) in enumerate(rows):
        if lo and hi:
            y = PAD + (i + 0.5) * step
            body.append(f'<line x1="{x(lo):.1f}" x2="{x(hi):.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                        f'stroke="#3366aa" stroke-width="{max(1.0, min(4.0, step * .6)):.1f}"/>')
    if crossover:
        body += _reference(x(crossover), PAD - 10, PAD - 14, f"solver: {crossover:.4g}")
    body += _range_labels(min(vals), max(vals))
    return _svg(body, "each student's bracket of the crossover")


def designs_chart(designs: list) -> str:
    """Final designs at (intensity, energy) on log-log axes; the feasible region shaded:
    intensity >= the floor and energy <= the energy budget (power budget / rate)."""
    pts = []
    for _, d in designs:
        r = d.get("result") or {}
        x, y = r.get("intensity"), r.get("energy_j")
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and x > 0 and y > 0:
            pts.append((float(x), float(y), r.get("passes") is True))
    if not pts:
        return ""
    res = [(d.get("result") or {}) for _, d in designs]
    floor = next((r["floor"] for r in res if isinstance(r.get("floor"), (int, float))), None)
    budget = next((r["energy_budget_j"] for r in res
                   if isinstance(r.get("energy_budget_j"), (int, float))
                   and r["energy_budget_j"] > 0), None)
    xs = [p[0] for p in pts] + ([floor] if floor and floor > 0 else [])
    ys = [p[1] for p in pts] + ([budget] if budget else [])
    fx, fy = _log_x(min(xs) / 2, max(xs) * 2), _log_y(min(ys) / 2, max(ys) * 2)
    body = []
    if floor and floor > 0 and budget:
        body.append(f'<rect x="{fx(floor):.1f}" y="{fy(budget):.1f}" '
                    f'width="{W - PAD - fx(floor):.1f}" height="{H - PAD - fy(budget):.1f}" '
                    'fill="#2a2" fill-opacity=".12"/>')
        body.append(_axis_text(W - PAD - 4, fy(budget) + 12, "feasible", "end"))
    body += [f'<circle cx="{fx(x):.1f}" cy="{fy(y):.1f}" r="4" fill="{"#2a2" if ok else "#c33"}"'
             f' fill-opacity=".7"/>' for x, y, ok in pts]
    body += [_axis_text(W / 2, H - 8, "aggregate intensity (log)"),
             _axis_text(12, H / 2, "energy (log)", "start")]
    return _svg(body, "final designs: energy against intensity")


def _question_html(part: str, q: dict) -> list[str]:
    comp = q["computed"].get("choice")
    out = [f"<h3>Part {escape(part)}: {escape(str(q['prompt'] or ''))}</h3>",
           f"<p>{q['right']} of {q['n']} right. Computed answer: <b>{_fmt(comp)}</b>"
           + (f", number {_fmt(q['computed'].get('number'))}" if q["computed"].get("number")
              is not None else "") + "</p>",
           "<table><tr><th>Choice</th><th>Students</th></tr>"]
    out += [f'<tr class="{"ok" if c == comp else ""}"><td>{_fmt(c)}</td><td>{k}</td></tr>'
            for c, k in q["choices"].items()]
    out.append("</table>")
    if q["numbers"]:
        lo, med, hi = q.get("quartiles", (q["numbers"][0],) * 3)
        out.append(f"<p>Numbers: median {med:.4g} (quartiles {lo:.4g} to {hi:.4g}).</p>")
        num = q["computed"].get("number")
        out.append(numbers_strip(q["numbers"], num if isinstance(num, (int, float)) else None))
    return out


def _track_html(key: str, tr: dict) -> list[str]:
    out = [f"<h2>{escape(str(tr['title']))} <span class=note>({escape(key)})</span></h2>"]
    for part, q in tr["questions"].items():
        out += _question_html(part, q)
    if tr["probes"]:
        used = [n for _, n, _ in tr["probes"]]
        inside = sum(1 for _, _, (lo, hi) in tr["probes"]
                     if tr["crossover"] and lo and hi and lo <= tr["crossover"] <= hi)
        out += ["<h3>Probes and the crossover</h3>",
                (f"<p>{len(used)} students probed; probes used: mean "
                 f"{sum(used) / len(used):.2f}, min {min(used)}, max {max(used)}. Solver's "
                 f"crossover: {_fmt(tr['crossover'])}; {inside} bracket(s) contain it.</p>"),
                brackets_chart(tr["probes"], tr["crossover"])]
    if tr["designs"]:
        ok = sum(1 for _, d in tr["designs"] if (d.get("result") or {}).get("passes") is True)
        out += ["<h3>Final designs</h3>", (f"<p>{len(tr['designs'])} submitted, {ok} pass "
                                           "(green: pass, red: fail; shaded: the feasible "
                                           "region).</p>"),
                designs_chart(tr["designs"])]
    for part, notes in sorted(tr["reflections"].items()):
        out.append(f"<h3>Reflections, Part {escape(part)}</h3>")
        out += [f"<p><b>{escape(who)}</b></p><blockquote>{escape(text)}</blockquote>"
                for who, text in notes]
    return out


def render(summary: dict) -> str:
    """The whole page (UTF-8 text)."""
    out = ["<!doctype html><html lang=en><head><meta charset=utf-8>",
           "<title>ridgeline class report</title>", f"<style>{CSS}</style></head><body>",
           "<h1>ridgeline class report</h1>",
           f"<p>{summary['students']} student(s)"
           + (", anonymous (run with --names to show IDs)" if summary["anonymous"] else "")
           + ".</p>"]
    if summary["skipped"]:
        out.append("<h2>Skipped files</h2><ul>")
        out += [f"<li>{escape(p)}: {escape(why)}</li>" for p, why in summary["skipped"].items()]
        out.append("</ul>")
    for key, tr in summary["tracks"].items():
        out += _track_html(key, tr)
    return "\n".join(out + ["</body></html>"])
