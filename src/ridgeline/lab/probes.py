"""Part 2's 5-move rule: five committed probes to bracket where a layer flips bound as one
workload parameter grows, then the solver's exact crossover (``ridgeline.sweeping``).

Every answer is the engine's bound at the probed value (``track_profile``); nothing here is
a constant of the physics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from ..errors import RidgelineError
from ..recipes import get_model
from ..sweeping import Crossover
from .story import judged
from .tracks import SCALE_LABELS, get_track, track_profile
from .trajectory import crossing, fixed_without, solver_crossover
from .views import escape_md


@dataclass(frozen=True)
class ProbeGame:
    """Five committed probes to bracket where ``layer`` flips bound as ``param`` grows.

    Immutable: :meth:`probe` returns a new game. Answers come from the engine at the probed
    value with the other workload fields fixed; after ``limit`` probes :meth:`crossover`
    gives the solver's exact answer.
    """

    track: str
    layer: str
    param: str
    fixed: tuple          # the other workload fields, as sorted items
    lo: int
    hi: int
    probes: tuple = ()    # ((value, "memory" | "compute"), ...)
    limit: int = 5

    @property
    def used(self) -> int:
        return len(self.probes)

    @property
    def remaining(self) -> int:
        return self.limit - self.used

    @property
    def done(self) -> bool:
        return self.used >= self.limit

    def answer(self, value) -> str:
        """'memory' or 'compute': the layer's bound at ``value`` (engine)."""
        return _bound_at(self.track, self.layer, self.param, float(value), self.fixed)

    def probe(self, value) -> ProbeGame:
        """A new game with ``value`` (a whole number in [lo, hi]) probed and answered."""
        if self.done:
            raise RidgelineError(f"all {self.limit} probes are used")
        try:
            v = round(float(value))
        except (TypeError, ValueError, OverflowError):
            raise RidgelineError(f"a probe must be a whole number, got {value!r}") from None
        if not self.lo <= v <= self.hi:
            raise RidgelineError(f"probe {v} is outside [{self.lo:,}, {self.hi:,}]")
        return replace(self, probes=self.probes + ((v, self.answer(v)),))

    @property
    def low_side(self) -> str:
        """The bound at the bottom of the range (the side a crossover starts from)."""
        return self.answer(self.lo)

    @property
    def bracket(self) -> tuple:
        """(largest probe on the low side, smallest probe on the other side), None if unknown."""
        low = [v for v, a in self.probes if a == self.low_side]
        high = [v for v, a in self.probes if a != self.low_side]
        return (max(low) if low else None, min(high) if high else None)

    def crossover(self) -> Crossover:
        t = get_track(self.track)
        return _crossover(t.model, self.layer, self.param, t.hardware, t.dtype, self.fixed,
                          self.lo, self.hi)

    def reveal(self) -> dict:
        """The solver's answer beside the student's bracket (call when :attr:`done`).

        ``ridge`` is the one the layer meets at the crossover (or, if it never crosses, at the
        bottom of the range), labelled by ``ridge_label``: a level's, or for bytes from two
        levels the effective ridge of the layer's byte mix there (``ridge_note``)."""
        c = self.crossover()
        lo, hi = self.bracket
        inside = c.crossover is not None and (lo or self.lo) <= c.crossover <= (hi or self.hi)
        j = self._met(c)
        return {"crossover": c.crossover, "text": _crossover_text(c),
                "reason": _labelled(c.reason, j), "direction": c.direction, "bracket": [lo, hi],
                "bracket_contains": bool(inside),
                "in_range": c.crossover is not None and self.lo <= c.crossover <= self.hi,
                "ridge": j["value"], "ridge_label": j["label"], "ridge_note": j["note"]}

    def _met(self, c: Crossover) -> dict:
        """The ridge the layer meets at the crossover (the trajectory marks the same point)."""
        t = get_track(self.track)
        at = crossing(t, self.layer, self.param, self.fixed) if c.crossover is not None else None
        return judged(at["ridge"] if at else c.ridge, t.hardware, t.dtype)

    def to_dict(self) -> dict:
        return {"track": self.track, "layer": self.layer, "param": self.param,
                "probes": [list(p) for p in self.probes], "used": self.used, "limit": self.limit}


def new_game(track, batch=None, scale=None, layer=None, param=None) -> ProbeGame:
    """A fresh game on the track's probe layer and parameter (or ``layer`` / ``param``)."""
    t = get_track(track)
    param = param or t.probe_parameter
    if param not in t.sliders:
        raise RidgelineError(f"track {t.key} has no slider for {param!r}; choose one of: {', '.join(t.sliders)}")
    lo, hi, _ = t.sliders[param]
    fixed = fixed_without(t, param, batch, scale)
    return ProbeGame(t.key, layer or t.probe_layer, param, fixed, int(lo), int(hi))


def _bound_at(track_key, layer, param, value, fixed) -> str:
    return _layer_at(track_key, layer, param, value, fixed)[0]


@lru_cache(maxsize=1024)
def _layer_at(track_key, layer, param, value, fixed) -> tuple[str, float]:
    """(bound, intensity) of ``layer`` at ``param`` = ``value``, the other fields ``fixed``."""
    t = get_track(track_key)
    w = get_model(t.model).workload(**dict(fixed)).with_param(param, int(value))
    e = track_profile(t, w.batch, w.param_value(t.scale_param)).layer(layer)
    return str(e.bound), float(e.intensity)


def probed_points(game: ProbeGame) -> list[dict]:
    """The committed probes as trajectory points: the probe layer's intensity and bound at
    each probed value (the other settings as the game holds them)."""
    return [{"layer": game.layer, "value": float(v), "what": f"probe {i}", "bound": a,
             "intensity": _layer_at(game.track, game.layer, game.param, float(v), game.fixed)[1]}
            for i, (v, a) in enumerate(game.probes, 1)]


def gate_trajectory(traj: dict, game: ProbeGame) -> dict:
    """Part 2's trajectory as the 5-move rule lets the student see it.

    Until the probes are used up the probe layer has no curve, no crossing mark and no point at
    the sliders (each would show where it flips bound); it is drawn only at the probed values
    (``probed``), and only when the plot's axis is the probed parameter. After the last probe:
    ``traj`` unchanged, the whole curve. ``note`` says so under the plot.
    """
    if game.done:
        return traj
    hide = lambda rows: [r for r in rows if r["layer"] != game.layer]
    current = dict(traj["current"], points=hide(traj["current"]["points"]))
    on_axis = traj["param"] == game.param
    shown = ("until then it is drawn only at the values you probe" if on_axis else
             f"you probe it along {SCALE_LABELS.get(game.param, game.param)}, not this axis")
    note = (f"*{escape_md(game.layer)}'s curve, and where it crosses the ridge, appear after your "
            f"{game.limit} probes; {shown}.*")
    return dict(traj, rows=hide(traj["rows"]), current=current, note=note,
                crossings=hide(traj.get("crossings") or []),
                probed=probed_points(game) if on_axis else [])


def instant_gate(game: ProbeGame, track) -> dict:
    """The 5-move rule for Part 2's instant slider (instant_part2.part2_table's keywords):
    until the last probe the probe layer is hidden (card and plot) and drawn only at its
    probed values, when the plot's axis is the probed parameter; then nothing is hidden."""
    if game.done:
        return {}
    on_axis = get_track(track).scale_param == game.param
    return {"hidden": (game.layer,),
            "probed": [(p["value"], p["intensity"]) for p in probed_points(game)] if on_axis else []}


def gate_note(game: ProbeGame, track) -> str:
    """The line under Part 2's plot while the 5-move rule hides the probe layer, else ''."""
    if game.done:
        return ""
    shown = ("until then it is drawn only at the values you probe"
             if get_track(track).scale_param == game.param else
             f"you probe it along {SCALE_LABELS.get(game.param, game.param)}, not this axis")
    return (f"*{escape_md(game.layer)}'s curve, and where it crosses the ridge, appear after your "
            f"{game.limit} probes; {shown}.*")


def _crossover(model, layer, param, hardware, dtype, fixed, lo=None, hi=None) -> Crossover:
    # Parts 1-2 teach the seed's arithmetic intensity: the crossover of compulsory traffic,
    # searched over the slider's own range (the one the student probes); the trajectory's
    # crossing marks call the same cached solver
    return solver_crossover(model, layer, param, hardware, dtype, fixed, lo, hi, "compulsory")


def _labelled(reason: str, j: dict) -> str:
    """The solver's reason with its 'ridge <number>' named: the level's ('ridge vs LPDDR5X'),
    or on Tiny the layer's byte mix's (the effective ridge)."""
    reason = reason.replace("vs ridge ", "against the ridge ")
    return re.sub(r"\bridge (?=\d)", f"{j['label']} ", reason)


def _crossover_text(c: Crossover) -> str:
    if c.crossover is None:
        return "never crosses"
    return f"Crossover at {c.param} = {c.crossover:,.4g} ({c.direction})"


def crossover_for(track, batch=None, scale=None, layer=None, param=None) -> Crossover:
    """The solver's crossover for the track's probe layer (or ``layer``) at a slider position."""
    return new_game(track, batch, scale, layer, param).crossover()
