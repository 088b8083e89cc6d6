"""The ledger's entry shapes, in one place: what the lab records for a lock, a probe, a design
and a reflection, and how probes are replayed into the 5-move rule's game.

The notebook (app.py) and the tests build entries through these functions only, so a change of
shape is one change here. ``ledger.Ledger.append(kind, track, payload)`` stores them.
"""

from __future__ import annotations

from dataclasses import asdict

from ..errors import RidgelineError
from . import questions as Q
from .probes import ProbeGame, new_game


def lock_payload(track, q, choice, number=None) -> dict:
    """A locked prediction with its grade (stored even when grading fails: the error says why)."""
    payload = {"part": q.part, "question": q.key, "prompt": q.prompt, "choice": choice,
               "number": number}
    try:
        rv = Q.reveal(track, q.part, choice, number)
        payload.update(correct=rv.correct, computed=rv.computed)
    except Exception as exc:  # noqa: BLE001 - the lock is stored even if grading fails
        payload.update(correct=None, grading_error=str(exc))
    return payload


def probe_payload(game: ProbeGame, value) -> dict | None:
    """The next committed probe of ``game`` at ``value`` (None when the game is over or the
    value is outside its range: nothing to record)."""
    if value is None or game.done:
        return None
    try:
        after = game.probe(value)
    except RidgelineError:
        return None
    v, answer = after.probes[-1]
    return {"part": 2, "param": game.param, "layer": game.layer, "value": v, "answer": answer,
            "index": after.used}


def replay(track, probes: list[dict]) -> ProbeGame:
    """The 5-move rule's game after the ledger's probe entries (at the track's defaults, so
    every probe answers the same question); an entry this version cannot replay is skipped."""
    game = new_game(track)
    for entry in probes:
        if game.done:
            break
        try:
            game = game.probe(entry["payload"]["value"])
        except (RidgelineError, KeyError, TypeError, ValueError):
            pass
    return game


def design_payload(result, batch, scale, floor) -> dict:
    """A submitted design: the choices, the settings and its numbers."""
    res = result.to_dict() if hasattr(result, "to_dict") else asdict(result)
    return {"part": 3, "choices": dict(res.get("choices", {})), "batch": batch, "scale": scale,
            "floor": floor, "result": res}


def reflection_payload(part: int, text: str) -> dict:
    return {"part": part, "text": text}
