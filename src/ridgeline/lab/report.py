"""The student's report, from the ledger: JSON for instructors' scripts, Markdown for people.

Input is ``Ledger.states()``: track key -> that track's state (locks, probes, designs,
reflections, each a stored ledger entry). The report holds, per track, every prediction with
its correctness and lock time, the probes, the final design with its numbers, and the
reflections. It records what the ledger recorded at the time; only a lock stored without a
verdict is graded now (by :func:`ridgeline.lab.questions.reveal`).

Student text is data, never markup: in Markdown, table cells are backslash-escaped and
reflections sit in fenced blocks longer than any backtick run inside them, so ``</script>``,
``**``, ``|`` or a stray fence cannot change the document.
"""

from __future__ import annotations

import json
import re

from ..errors import RidgelineError
from ..format import format_ratio, format_si
from .ledger import jsonable, now_iso
from .views import when

REPORT_VERSION = 1

#: DesignResult field -> (label, how to write it) for the Markdown report.
DESIGN_QUANTITIES = {
    "power_w": ("Power at the required rate", lambda v: format_si(v, "W")),
    "power_budget_w": ("Power budget", lambda v: format_si(v, "W")),
    "intensity": ("Aggregate intensity (FLOP/B or op/B)", format_ratio),
    "ridge": ("Ridge the design is judged against (a level's, or its byte mix's)", format_ratio),
    "time_s": ("Time per run", lambda v: format_si(v, "s")),
    "time_budget_s": ("Time budget", lambda v: format_si(v, "s")),
    "energy_j": ("Energy per run", lambda v: format_si(v, "J")),
    "flops": ("Work (FLOPs or ops)", format_si),
    "bytes": ("Bytes moved", lambda v: format_si(v, "B")),
}
_MD_PUNCT = re.compile(r"([\\`*_{}\[\]<>()#+\-!|$~&])")


def report_json(ledger_state_by_track: dict, student: str | None = None) -> dict:
    """The whole report as plain JSON-ready data (see the module docstring); its shape is
    ``report.schema.json`` (version 1), which ``ridgeline class-report`` validates."""
    tracks = [_track_report(key, st) for key, st in ledger_state_by_track.items()]
    preds = [p for t in tracks for p in t["predictions"]]
    return jsonable({
        "report": "ridgeline lab", "version": REPORT_VERSION, "generated": now_iso(),
        **({"student": student} if student else {}),
        "summary": {"tracks": len(tracks), "predictions": len(preds),
                    "correct": sum(1 for p in preds if p["correct"] is True),
                    "probes": sum(len(t["probes"]) for t in tracks),
                    "designs": sum(1 for t in tracks if t["design"] is not None),
                    "reflections": sum(len(t["reflections"]) for t in tracks)},
        "tracks": tracks,
    })


def report_json_bytes(ledger_state_by_track: dict, student: str | None = None) -> bytes:
    """:func:`report_json` as indented UTF-8 JSON (strict: no NaN/Infinity)."""
    return json.dumps(report_json(ledger_state_by_track, student), ensure_ascii=False,
                      indent=2, allow_nan=False).encode("utf-8")


def _track_report(key: str, st: dict) -> dict:
    return {
        **_track_info(key),
        "predictions": [_prediction(key, part, e) for part, e in sorted(st["locks"].items(),
                                                                         key=_part_order)],
        "probes": [dict(e["payload"], time=e["time"]) for e in st["probes"]],
        "design": (dict(st["design"]["payload"], submitted_at=st["design"]["time"])
                   if st.get("design") else None),
        "designs_submitted": len(st.get("designs", [])),
        "reflections": [{"part": part, "text": e["payload"].get("text", ""),
                         "saved_at": e["time"]}
                        for part, e in sorted(st["reflections"].items(), key=_part_order)],
    }


def _part_order(item):
    part = item[0]
    return (0, part) if isinstance(part, int) else (1, str(part))


def _track_info(key: str) -> dict:
    try:
        from .tracks import get_track
        t = get_track(key)
    except RidgelineError:  # a ledger may hold a track this version no longer has
        return {"track": key, "title": key}
    return {"track": t.key, "title": t.title, "model": t.model, "hardware": t.hardware,
            "dtype": t.dtype}


def _prediction(key: str, part, entry: dict) -> dict:
    p = entry["payload"]
    out = {"part": part, "question": p.get("question"), "prompt": p.get("prompt"),
           "choice": p.get("choice"), "number": p.get("number"), "locked_at": entry["time"],
           "correct": p.get("correct"), "computed": p.get("computed")}
    if "correct" not in p:
        out.update(_grade(key, part, p))
    return out


def _grade(key: str, part, p: dict) -> dict:
    try:
        from .questions import reveal
        from .tracks import get_track
        rv = reveal(get_track(key), part, p.get("choice"), p.get("number"))
    except Exception:  # noqa: BLE001 - grading is a convenience; the lock is the record
        return {"correct": None}
    return {"correct": bool(rv.correct), "computed": rv.computed}


# -- Markdown --------------------------------------------------------------------------------

def md_cell(value) -> str:
    """A value for a Markdown table cell: punctuation escaped, newlines folded into spaces."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    text = " ".join(str(value).split())
    return _MD_PUNCT.sub(r"\\\1", text)


def fenced(text: str) -> str:
    """``text`` verbatim in a fenced block whose fence is longer than any backtick run in it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def report_markdown(ledger_state_by_track: dict) -> str:
    """The report as a Markdown document, one section per track."""
    data = report_json(ledger_state_by_track)
    s = data["summary"]
    out = ["# ridgeline lab report", "",
           (f"Generated {when(data['generated'])} · {s['tracks']} track(s) · "
            f"{s['correct']}/{s['predictions']} predictions right · {s['probes']} probes · "
            f"{s['designs']} design(s) · {s['reflections']} reflection(s)"), ""]
    if not data["tracks"]:
        out += ["Nothing recorded yet: lock a prediction in the lab first.", ""]
    for t in data["tracks"]:
        out += _track_markdown(t)
    return "\n".join(out)


def _track_markdown(t: dict) -> list[str]:
    out = [f"## {md_cell(t['title'])}", ""]
    if "model" in t:
        out += [f"Model `{t['model']}` on `{t['hardware']}` in {t['dtype'].upper()}.", ""]
    out += ["### Predictions", ""]
    if t["predictions"]:
        out += ["| Part | Question | Your answer | Your number | Right? | Locked at |",
                "|---|---|---|---|---|---|"]
        out += [f"| {p['part']} | {md_cell(p['prompt'])} | {md_cell(p['choice'])} | "
                f"{md_cell(p['number'])} | {md_cell(p['correct'])} | {when(p['locked_at'])} |"
                for p in t["predictions"]]
    else:
        out.append("None locked.")
    out += ["", "### Probes (5-move rule)", ""]
    if t["probes"]:
        out += ["| # | Value | Answer | Time |", "|---|---|---|---|"]
        out += [f"| {i} | {md_cell(p.get('value'))} | {md_cell(p.get('answer'))} | "
                f"{when(p['time'])} |" for i, p in enumerate(t["probes"], 1)]
    else:
        out.append("None committed.")
    out += ["", "### Final design", ""] + _design_markdown(t["design"])
    out += ["", "### Reflections", ""]
    if t["reflections"]:
        for r in t["reflections"]:
            out += [f"Part {r['part']} (saved {when(r['saved_at'])}):", "", fenced(r["text"]), ""]
    else:
        out.append("None saved.")
    return out + [""]


def _design_markdown(design: dict | None) -> list[str]:
    if design is None:
        return ["None submitted."]
    out = ["| Slot | Operator |", "|---|---|"]
    out += [f"| {md_cell(k)} | {md_cell(v)} |" for k, v in (design.get("choices") or {}).items()]
    res = design.get("result") or {}
    verdict = {True: "PASS", False: "FAIL"}.get(res.get("passes"), "—")
    out += ["", f"Submitted {when(design['submitted_at'])}: **{verdict}**", ""]
    keys = [k for k in DESIGN_QUANTITIES if isinstance(res.get(k), (int, float))]
    settings = {k: design[k] for k in ("batch", "scale", "floor") if design.get(k) is not None}
    if keys or settings:
        out += ["| Quantity | Value |", "|---|---|"]
        out += [f"| {k} | {md_cell(v)} |" for k, v in settings.items()]
        out += [f"| {DESIGN_QUANTITIES[k][0]} | {DESIGN_QUANTITIES[k][1](res[k])} |"
                for k in keys]
    out += [f"- {md_cell(r)}" for r in res.get("reasons") or []]
    return out
