"""The instructor's class report: every student's ledger or exported report, gathered.

Inputs (:func:`load`): class directories (every ``<id>.jsonl`` ledger and ``*.json`` report in
them), single ledgers, or single exported reports. A report is validated against the versioned
schema kept beside this module (``report.schema.json``, which the lab's own export is tested
against); a ledger is read *read-only* (never repaired or moved: these are the students'
files) and turned into the same report by :func:`ridgeline.lab.report.report_json`. A file
that is malformed, foreign or of another schema version is listed with its reason and skipped;
it never aborts the run.

:func:`summarize` folds the reports into what the page shows (:mod:`.classhtml` draws it): per
question, the class's choices and numbers beside the computed answer; per track, probes used
and each student's bracket of the crossover beside the solver's; final designs (intensity,
energy) with the feasible region; reflections per question. Students are anonymous
("Student 1", ...) unless ``names=True``; the numbering follows a hash of the ID, not its
alphabetical order, so a list sorted by name cannot be read back from it.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .ledger import parse, state_of
from .report import report_json

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


@dataclass
class Loaded:
    """Reports read (student ID -> report JSON) and files skipped (path -> why)."""
    reports: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def schema_errors(data) -> list[str]:
    """Why ``data`` is not a version-1 lab report (empty if it is)."""
    from jsonschema import Draft202012Validator  # altair's dependency; loaded only here
    v = Draft202012Validator(schema())
    return [f"{'/'.join(map(str, e.absolute_path)) or 'top level'}: {e.message}"
            for e in sorted(v.iter_errors(data), key=lambda e: list(map(str, e.path)))][:3]


def report_from_ledger(path: Path) -> dict:
    """A ledger file -> its report, read-only; ValueError if no line of it is an entry."""
    data = Path(path).read_bytes()
    entries, bad = parse(data)
    if bad and not entries:
        raise ValueError("not a ridgeline ledger (no line is a ledger entry)")
    keys = list(dict.fromkeys(e["track"] for e in entries))
    return report_json({k: state_of([e for e in entries if e["track"] == k], k) for k in keys})


def report_from_json(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"not JSON ({type(exc).__name__})") from None
    errors = schema_errors(data)
    if errors:
        raise ValueError("not a version-1 ridgeline lab report: " + "; ".join(errors))
    return data


def _files(inputs) -> list[Path]:
    out = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            out += sorted(q for q in p.iterdir() if q.suffix in (".jsonl", ".json"))
        else:
            out.append(p)
    return out


def load(inputs) -> Loaded:
    """Every report among ``inputs`` (dirs or files); bad files land in ``skipped``."""
    got = Loaded()
    for p in _files(inputs):
        try:
            rep = report_from_ledger(p) if p.suffix == ".jsonl" else report_from_json(p)
        except (OSError, ValueError) as exc:
            got.skipped[str(p)] = " ".join(str(exc).split())
            continue
        sid = rep.get("student") or p.stem
        n, base = 2, sid
        while sid in got.reports:  # the same student twice (a ledger and a report): keep both
            sid, n = f"{base} ({n})", n + 1
        got.reports[sid] = rep
    return got


def labels(ids, names: bool = False) -> dict[str, str]:
    """Student ID -> what the page calls them: the ID, or 'Student k' in hash order."""
    if names:
        return {s: s for s in ids}
    order = sorted(ids, key=lambda s: hashlib.sha256(s.encode("utf-8")).hexdigest())
    return {s: f"Student {i}" for i, s in enumerate(order, 1)}


def _num(x):
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def _question(rows: list) -> dict:
    """One question's class picture from (label, prediction) rows."""
    choices, numbers, computed = {}, [], None
    for _, p in rows:
        choices[p.get("choice")] = choices.get(p.get("choice"), 0) + 1
        if _num(p.get("number")) is not None:
            numbers.append(_num(p["number"]))
        computed = computed or p.get("computed")
    out = {"prompt": next((p.get("prompt") for _, p in rows if p.get("prompt")), None),
           "n": len(rows), "right": sum(1 for _, p in rows if p.get("correct") is True),
           "choices": dict(sorted(choices.items(), key=lambda kv: -kv[1])),
           "computed": computed or {}, "numbers": numbers}
    if len(numbers) >= 2:
        q = statistics.quantiles(numbers, n=4)
        out["quartiles"] = (q[0], statistics.median(numbers), q[2])
    return out


def _bracket(probes: list) -> tuple:
    """(largest probe on the first answer's side, smallest on the other), as in the lab."""
    vals = [(_num(p.get("value")), p.get("answer")) for p in probes]
    vals = sorted((v, a) for v, a in vals if v is not None)
    if not vals:
        return (None, None)
    low_side = vals[0][1]
    low = [v for v, a in vals if a == low_side]
    high = [v for v, a in vals if a != low_side]
    return (max(low), min(high) if high else None)


def _crossover(track: str):
    try:
        from .probes import new_game
        return new_game(track).crossover().crossover
    except Exception:  # noqa: BLE001 - a track this version no longer has: no reference line
        return None


def summarize(loaded: Loaded, names: bool = False) -> dict:
    """What the class page shows, per track (see the module docstring)."""
    who = labels(loaded.reports, names)
    tracks: dict[str, dict] = {}
    for sid, rep in loaded.reports.items():
        for t in rep.get("tracks", []):
            tr = tracks.setdefault(t["track"], {"title": t.get("title", t["track"]),
                                                "questions": {}, "probes": [], "designs": [],
                                                "reflections": {}})
            for p in t.get("predictions", []):
                tr["questions"].setdefault(str(p.get("part")), []).append((who[sid], p))
            if t.get("probes"):
                tr["probes"].append((who[sid], len(t["probes"]), _bracket(t["probes"])))
            if t.get("design"):
                tr["designs"].append((who[sid], t["design"]))
            for r in t.get("reflections", []):
                tr["reflections"].setdefault(str(r.get("part")), []).append((who[sid], r["text"]))
    for key, tr in tracks.items():
        tr["questions"] = {part: _question(rows) for part, rows in sorted(tr["questions"].items())}
        tr["crossover"] = _crossover(key) if tr["probes"] else None
    return {"students": len(loaded.reports), "tracks": dict(sorted(tracks.items())),
            "skipped": dict(loaded.skipped), "anonymous": not names}
