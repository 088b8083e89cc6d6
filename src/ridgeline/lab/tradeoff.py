"""Does the track's Part 3 hold the seed's trade-off? The numbers, and the words the lab shows.

The seed's stakeholder challenge ("conservation of complexity") needs, from the engine:

1. the start fails the power budget and is memory-bound (intensity below the ridge);
2. the lowest-energy mix falls below the intensity floor;
3. the highest-intensity mix exceeds the power budget;
4. at least one mix passes every check;
5. every slot changes energy or intensity by >= 5 % in some mix.

:func:`analyse` computes each from every mix (the same :func:`challenge.enumerate_designs`
the answer key uses); :func:`stakeholder` and :func:`physics_note` turn them into the text the
lab shows, so a claim on screen is a claim a test can check. Where physics and the plan
disagree (the floor never binds; a slot that barely moves anything; a floor of 20 out of reach
under the deadline) the note says so with the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..format import format_ratio, format_si
from .challenge import (DesignResult, design_passes, enumerate_designs, evaluate_design, slots,
                        starting_design, toolkit)
from .story import judged
from .tracks import get_track

#: A slot "matters" when it changes energy or intensity by at least this much in some mix.
SLOT_EFFECT = 0.05
#: The seed's floor: aggregate arithmetic intensity >= 20 FLOP/B (op/B on integer tracks).
SEED_FLOOR = 20.0


@dataclass(frozen=True)
class Tradeoff:
    start: DesignResult
    lowest_energy: DesignResult
    highest_intensity: DesignResult
    passing: int
    designs: int
    slot_effects: dict          # slot -> largest relative change of energy or intensity
    best_within_deadline: float  # highest intensity of any mix that meets the deadline and fits

    @property
    def checks(self) -> dict:
        s = self.start
        return {"start fails power": not s.checks["power"],
                "start is memory-bound": s.intensity < s.ridge,
                "lowest-energy mix fails the floor": not self.lowest_energy.checks["intensity"],
                "highest-intensity mix fails power": not self.highest_intensity.checks["power"],
                "a mix passes": self.passing > 0,
                "every slot matters": all(v >= SLOT_EFFECT for v in self.slot_effects.values())}

    @property
    def holds(self) -> bool:
        return all(self.checks.values())


def analyse(track) -> Tradeoff:
    """Every mix of the track's slots at the Part 3 start workload, judged (cached per track)."""
    return _analyse(get_track(track).key)


@lru_cache(maxsize=8)
def _analyse(key: str) -> Tradeoff:
    t = get_track(key)
    designs = enumerate_designs(t)
    start = evaluate_design(t, starting_design(t))
    on_time = [d.intensity for d in designs if d.checks["deadline"] and d.fits]
    return Tradeoff(
        start=start, lowest_energy=min(designs, key=lambda d: d.energy_j),
        highest_intensity=max(designs, key=lambda d: d.intensity),
        passing=sum(d.passes for d in designs), designs=len(designs),
        slot_effects=slot_effects(t, designs), best_within_deadline=max(on_time, default=0.0))


def slot_effects(track, designs) -> dict:
    """Slot -> the largest relative change of energy or intensity that switching that slot
    alone causes, over every pair of mixes that differ only in it."""
    index = {tuple(sorted(d.choices.items())): d for d in designs}
    out = {}
    for slot in slots(track):
        best = 0.0
        for d in designs:
            for choice in slot.choices:
                other = index.get(tuple(sorted(dict(d.choices, **{slot.name: choice}).items())))
                if other is not None and other is not d:
                    best = max(best, abs(other.energy_j / d.energy_j - 1),
                               abs(other.intensity / d.intensity - 1))
        out[slot.name] = best
    return out


def aligned_slots(track) -> list[str]:
    """Slots where every switch that saves energy also raises intensity (over all mixes that
    differ in that slot alone): swaps that cut bytes, not only work - no trade-off in them."""
    designs = enumerate_designs(track)
    index = {tuple(sorted(d.choices.items())): d for d in designs}
    out = []
    for slot in slots(track):
        pairs = [(d, index.get(tuple(sorted(dict(d.choices, **{slot.name: c}).items()))))
                 for d in designs for c in slot.choices if c != d.choices[slot.name]]
        if all(o is None or (o.energy_j < d.energy_j) == (o.intensity > d.intensity)
               for d, o in pairs):
            out.append(slot.name)
    return out


def _i(x: float, unit: str) -> str:
    return format_ratio(x, f"{unit}/B")


def setting(track) -> str:
    """The challenge's start in words: model, precision, workload, device."""
    t = get_track(track)
    s = analyse(t).start
    w = design_passes(t, s.choices)[2]
    load = {"seq-len": f"{w['batch']:,} streams, {w['seq_len']:,}-token prompts",
            "resolution": "x".join(str(v) for v in w["resolution"]) + " frames",
            "frames": f"{w['frames']} frame{'s' * (w['frames'] > 1)} per inference"}[t.scale_param]
    model = toolkit(t).start or t.model
    return f"{model} in {s.dtype.upper()}, {load}, on {t.hardware}"


def stakeholder(track) -> str:
    """The hardware lead's challenge, every clause true of the start design."""
    t = get_track(track)
    s = analyse(t).start
    u = s.work_unit
    ridge = judged(s.ridge, t.hardware, s.dtype, "design")["label"]
    wall = ("sits on the memory wall: memory-bound, its aggregate arithmetic intensity "
            f"{_i(s.intensity, u)} is below its {s.dtype.upper()} {ridge} of {_i(s.ridge, u)}")
    if s.intensity >= s.ridge:
        wall = f"is compute-bound ({_i(s.intensity, u)} against its {ridge} of {_i(s.ridge, u)})"
    draws = (f"draws {format_si(s.power_w, 'W')}" if s.checks["deadline"] else
             f"would demand {format_si(s.power_w, 'W')}")
    late = "" if s.checks["deadline"] else (
        f" (it cannot even keep up: one run takes {format_si(s.time_s, 's')})")
    power = (f"{draws}{late} at the required {format_ratio(s.rate_hz)} runs/s, over the "
             f"{format_si(s.power_budget_w, 'W')} budget" if not s.checks["power"] else
             f"{draws}, within the {format_si(s.power_budget_w, 'W')} budget, but: "
             f"{'; '.join(s.reasons) or 'it passes'}")  # the reasons say when it is late
    goal = "to bring it within budget" if not s.checks["power"] else "until it passes every check"
    hint = f" {toolkit(t).hint}" if toolkit(t).hint else ""
    return (f"**The hardware lead:** \"Our current design ({setting(t)}) {wall}, and it {power}. "
            f"Swap operators "
            f"{goal}, without letting the aggregate arithmetic intensity fall below "
            f"{_i(s.floor, u)}.{hint}\"")


def _mix(d: DesignResult, start: DesignResult) -> str:
    """A mix in words: only the slots it changes from the start."""
    changed = [f"{k}: {v}" for k, v in d.choices.items() if start.choices.get(k) != v]
    return "; ".join(changed) or "the start itself"


def physics_note(track) -> str:
    """What the engine says of the seed's trade-off on this track, with the numbers."""
    t = get_track(track)
    a = analyse(t)
    u = a.start.work_unit
    low, high, s = a.lowest_energy, a.highest_intensity, a.start
    lines = []
    if a.checks["lowest-energy mix fails the floor"]:
        lines.append(f"Conservation of complexity holds here: the lowest-energy mix ({_mix(low, s)}) "
                     f"draws {format_si(low.power_w, 'W')} at {_i(low.intensity, u)}, below the floor.")
    else:
        lines.append(
            f"Where physics departs from the plan: the lowest-energy mix ({_mix(low, s)}) still "
            f"sits at {_i(low.intensity, u)}, above the floor, so the floor never binds. It draws "
            f"{format_si(low.power_w, 'W')}, {1 - low.power_w / s.power_w:.0%} less than the "
            f"start; {format_si(low.static_w, 'W')} of that is static power, paid idle or busy.")
        aligned = aligned_slots(t)
        if aligned:
            lines.append(f"Every switch of {', '.join(aligned)} that saves energy also raises "
                         "intensity: these swaps cut bytes, not only work, so they trade nothing.")
    if a.checks["highest-intensity mix fails power"]:
        lines.append(f"The highest-intensity mix reaches {_i(high.intensity, u)} but draws "
                     f"{format_si(high.power_w, 'W')}, over the budget.")
    if s.checks["power"] and not a.checks["highest-intensity mix fails power"]:
        lines.append("No mix exceeds the power budget where it keeps up: the device's power is "
                     "calibrated to its TDP, so what breaks first for the start is the rest: "
                     f"{'; '.join(s.reasons) or 'nothing'}.")
    lines += [f"{name} changes energy and intensity by at most {v:.1%} in this workload: it is "
              "in the toolkit to show it does not matter here." for name, v in a.slot_effects.items()
              if v < SLOT_EFFECT]
    if s.floor < SEED_FLOOR:
        lines.append(f"The seed's floor of {_i(SEED_FLOOR, u)} is out of reach: the best mix that "
                     f"meets the deadline and fits reaches {_i(a.best_within_deadline, u)}, so the "
                     f"floor here is {_i(s.floor, u)}, fixed while you are graded.")
    every = " (every slot, frames per inference included)" if toolkit(t).slider_slot else ""
    lines.append(f"{a.passing} of {a.designs} mixes pass at the mission's workload{every}.")
    return " ".join(lines)


def stakeholder_section(track) -> str:
    """Markdown for the top of Part 3's workbench."""
    return f"### The stakeholder challenge\n\n{stakeholder(track)}"


def physics_section(track) -> str:
    """Markdown shown beside the frontier once a design is submitted."""
    return ("**What the engine says of the trade-off** (at the challenge's start workload): "
            f"{physics_note(track)}")
