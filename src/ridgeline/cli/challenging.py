"""``ridgeline challenge TRACK``: the instructor's answer key for the lab's Part 3.

The same numbers as the lab (``ridgeline.lab.challenge.evaluate_design``): every operator mix
of the track's slots, its power at the required rate (static + dynamic x rate), time and
energy where the bytes live, and the arithmetic intensity graded against the floor.
Standard library at import; the engine is imported inside the handler.
"""

from __future__ import annotations

from .. import format as fmt
from .shape import emit_json


def design_json(r) -> dict:
    """One design D of the answer key (the CLI/JSON contract of the pedagogy issue)."""
    return {"choices": dict(r.choices), "energy_j": r.energy_j, "power_w": r.power_w,
            "intensity": r.intensity, "time_s": r.time_s, "bound": r.bound,
            "passes": bool(r.passes), "reasons": list(r.reasons)}


def challenge_json(track, start, designs, frontier) -> dict:
    return {"track": track.key, "floor": start.floor, "power_budget_w": start.power_budget_w,
            "time_budget_s": start.time_budget_s, "ridge": start.ridge,
            "start": design_json(start), "designs": [design_json(d) for d in designs],
            "frontier": [design_json(d) for d in frontier]}


def _rows(designs, unit: str) -> list[list[str]]:
    s = fmt.format_si
    return [[" · ".join(d.choices.values()), s(d.power_w, "W"),
             fmt.format_ratio(d.intensity, unit + "/B"), s(d.time_s, "s"), s(d.energy_j, "J"),
             d.bound, "PASS" if d.passes else "FAIL"] for d in designs]


def _table(title: str, designs, unit: str) -> list[str]:
    headers = ["design", "power", "arith. I", "time", "energy", "bound", "verdict"]
    if not designs:
        return [title, "  (none)", ""]
    return [title, fmt.render_table(headers, _rows(designs, unit), align="lrrrrll"), ""]


def challenge_text(track, start, designs, frontier, note: str = "") -> str:
    """The start, the energy/intensity frontier and every passing mix, as tables."""
    unit = start.work_unit
    passing = [d for d in designs if d.passes]
    head = (f"{track.title} ({track.key}): Part 3 on {track.hardware}, {start.dtype}; "
            f"power budget {fmt.format_si(start.power_budget_w, 'W')} at "
            f"{fmt.format_ratio(start.rate_hz)} runs/s, deadline "
            f"{fmt.format_si(start.time_budget_s, 's')}, arithmetic-intensity floor "
            f"{fmt.format_ratio(start.floor, unit + '/B')}; {len(passing)} of {len(designs)} "
            "mixes pass")
    lines = [head, "design = " + " · ".join(start.choices), ""]
    lines += _table("start:", [start], unit)
    lines += _table("frontier (lowest energy for its intensity):", frontier, unit)
    lines += _table("every passing mix:", passing, unit)
    if start.reasons:
        lines.append("the start fails: " + "; ".join(start.reasons))
    if note:
        lines += ["", "the trade-off: " + note]
    return "\n".join(lines).rstrip()


def cmd_challenge(args) -> int:
    # the lab's own evaluation: one set of numbers for the lab and its answer key
    from ..lab.challenge import enumerate_designs, evaluate_design, pareto_front, starting_design
    from ..lab.tracks import get_track
    from ..lab.tradeoff import physics_note
    track = get_track(args.track)
    start = evaluate_design(track, starting_design(track))
    designs = enumerate_designs(track)
    frontier = pareto_front(designs)
    if args.json:
        emit_json(challenge_json(track, start, designs, frontier))
    else:
        print(challenge_text(track, start, designs, frontier, physics_note(track)))
    return 0
