"""Part 3, the stakeholder challenge: swap operators in the track's backbone to meet a budget.

A design picks one operator per slot; :func:`design_layers` substitutes them into the
track's recipe (or composes ops directly) and the engine profiles the result. A design passes
when, at the mission's required rate (tracks.required_rate) and deadline (tracks.time_budget):

    power  = energy per run x runs per second   <= the power budget
    aggregate intensity = sum FLOPs / sum bytes >= the floor (20 FLOP/B unless the track says)
    time per run                                <= the time budget
    the footprint fits the device's memory (weights + KV cache + largest activation)

The last check extends the brief's three: a design that cannot be loaded is no design (it is
how "BF16 Llama-3-70B does not fit one H100" shows up here). Each failed check gives one
reason quoting its numbers. "On the memory wall" means memory-bound: aggregate intensity
below the ridge; ``ridge_ratio`` says how near (Cloud's start ~0.6, Edge ~0.2, Mobile and
Tiny far below - see docs/lab-design.md).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from functools import lru_cache

from ..dtypes import get_dtype
from ..format import format_si
from ..errors import RidgelineError
from ..hardware import get_hardware
from ..pipeline import run
from ..recipes import Layer
from .toolkit import FRAMES_SLOT, TOOLKITS, Slot, Toolkit
from .tracks import Track, get_track, required_rate, time_budget, time_budget_rule, workload_kwargs


@dataclass(frozen=True)
class DesignResult:
    choices: dict
    power_w: float
    intensity: float
    time_s: float
    energy_j: float
    flops: float
    bytes: float
    passes: bool
    reasons: list
    # --- extensions ---
    ridge: float = 0.0
    rate_hz: float = 0.0
    time_budget_s: float = 0.0
    energy_budget_j: float = 0.0   # power budget / rate: the feasible region's energy line
    power_budget_w: float = 0.0
    floor: float = 20.0
    fits: bool = True
    dtype: str = ""
    checks: dict = field(default_factory=dict)  # power/intensity/deadline/fits -> passed?
    weights_in: str = "memory"  # or "weight_store": too big beside the activations, from flash
    static_w: float = 0.0       # the device's static power, paid idle or busy
    bound: str = ""             # the whole design's bound where the bytes live (placed)
    offchip_bytes: float = 0.0  # bytes that really move off chip (placed): what time follows

    @property
    def work_unit(self) -> str:
        """FLOP, or op on integer formats: the unit of this design's precision."""
        return get_dtype(self.dtype).work_unit if self.dtype else "FLOP"

    @property
    def ridge_ratio(self) -> float:
        return self.intensity / self.ridge

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["ridge_ratio"] = self.ridge_ratio
        return d


# ------------------------------------------------------------------------------ slots


def toolkit(track) -> Toolkit:
    """The track's Part 3 toolkit (slots, builder): data, see toolkit.py."""
    return TOOLKITS[get_track(track).key]


def slots(track) -> list[Slot]:
    """The track's backbone as slots; the defaults are the starting design."""
    return list(toolkit(track).slots)


def slider_slots(track) -> frozenset:
    """Slots that Part 3's workload sliders already control (Tiny's frames = its scale slider),
    so the app shows one control for them, not two that disagree."""
    s = toolkit(track).slider_slot
    return frozenset({s}) if s else frozenset()


def toolkit_slots(track) -> list[Slot]:
    """The Lego toolkit's dropdowns: every slot not driven by a slider."""
    return [s for s in slots(track) if s.name not in slider_slots(track)]


def starting_design(track) -> dict:
    return {s.name: s.default for s in slots(track)}


def _checked(t: Track, choices: dict) -> dict:
    out = starting_design(t)
    for name, value in choices.items():
        slot = next((s for s in slots(t) if s.name == name), None)
        if slot is None:
            raise RidgelineError(f"unknown slot {name!r}; choose one of: {', '.join(out)}")
        if value not in slot.choices and not (name in slider_slots(t) and str(value).isdigit()):
            raise RidgelineError(f"slot {name!r} takes one of: {', '.join(slot.choices)}")
        out[name] = str(value)
    return out


def design_layers(track, choices: dict, batch=None, scale=None) -> tuple[list[Layer], str, dict]:
    """(layers, dtype, workload fields) of a design, every pass's layers in order (named
    ``pass.layer`` when there is more than one pass: for display, not for totals)."""
    passes, dtype, w = design_passes(track, choices, batch, scale)
    if len(passes) == 1:
        return list(passes[0].layers), dtype, w
    return [replace(l, name=f"{p.label}.{l.name}") for p in passes for l in p.layers], dtype, w


def design_passes(track, choices: dict, batch=None, scale=None) -> tuple[tuple, str, dict]:
    """(passes, dtype, workload fields) of a design; ``scale`` overrides a slider-driven slot
    (Tiny's frames)."""
    t = get_track(track)
    c = _checked(t, choices)
    driven = toolkit(t).slider_slot
    if driven and scale is not None:
        c[driven] = str(int(scale))
        scale = None
    w = workload_kwargs(t, batch, scale, part=3)
    if driven:
        w["frames"] = int(c[driven])
    passes, dtype = toolkit(t).builder(t, c, w)
    return passes, dtype, w


# ------------------------------------------------------------------------------ evaluation


#: Part 3 costs time and energy where the bytes really live (placed, docs/formulas.md §14)
#: and grades the seed's arithmetic intensity (compulsory bytes) against the floor.
CHALLENGE_MEMORY_MODEL = "placed"


def _totals(prof) -> dict:
    """The design's totals as plain floats (from the one pipeline's Profile): time and energy
    where the bytes really live (placed model); bytes and intensity the seed's arithmetic
    (compulsory) ones, which the intensity floor judges."""
    e = prof.totals
    return {"flops": float(e.flops), "bytes": float(e.arithmetic_bytes), "time_s": float(e.time_s),
            "energy_j": float(e.energy_j), "ridge": float(e.ridge),
            "static_w": float(e.static_w), "dynamic_j": float(e.energy_compute_j + e.energy_memory_j),
            "bound": str(e.bound), "offchip_bytes": float(e.bytes.total)}


_SUMMED = ("flops", "bytes", "time_s", "energy_j", "dynamic_j", "offchip_bytes")


@lru_cache(maxsize=4096)
def _evaluate(track_key, choice_items, batch, scale):
    t = get_track(track_key)
    passes, dtype, w = design_passes(t, dict(choice_items), batch, scale)
    hw, dt = get_hardware(t.hardware), get_dtype(dtype)
    profs = [run(list(p.layers), hw, dt, CHALLENGE_MEMORY_MODEL) for p in passes]
    parts = [_totals(prof) for prof in profs]
    tot = dict(parts[0], **{k: sum(p.share * x[k] for p, x in zip(passes, parts)) for k in _SUMMED})
    tot["bound"] = max(zip(passes, parts), key=lambda px: px[0].share * px[1]["time_s"])[1]["bound"]
    return tot, _held(passes, profs), dtype, w


def _held(passes, profs):
    """The footprint of a design: the first pass's weights and KV cache (at its peak context;
    later passes reuse both) beside the largest activation of any pass."""
    cap = profs[0].capacity
    return replace(cap, kv_cache_bytes=cap.kv_cache_bytes * passes[0].kv_held,
                   activation_bytes=max(float(p.capacity.activation_bytes) for p in profs))


def evaluate_design(track, choices: dict, batch=None, scale=None, floor=None) -> DesignResult:
    """Profile a design and judge it against the track's power, intensity, deadline, memory."""
    t = get_track(track)
    c = _checked(t, choices)
    tot, cap, dtype, w = _evaluate(t.key, tuple(sorted(c.items())), batch, scale)
    floor = t.intensity_floor if floor is None else float(floor)
    if floor < 0:
        raise RidgelineError(f"the intensity floor must be >= 0, got {floor}")
    rate, budget_s = required_rate(t, w), float(time_budget(t, w))
    # P = P_static (all the time, idle included) + dynamic energy per run x rate (§9)
    intensity, power = tot["flops"] / tot["bytes"], tot["static_w"] + tot["dynamic_j"] * rate
    checks = {"power": power <= t.power_budget_w, "intensity": intensity >= floor,
              "deadline": tot["time_s"] <= budget_s, "fits": bool(cap.fits)}
    unit = get_dtype(dtype).work_unit
    reasons = []
    if not checks["power"]:
        reasons.append(f"power {format_si(power, 'W')} at {rate:.4g} runs/s exceeds the "
                       f"{format_si(t.power_budget_w, 'W')} budget")
    if not checks["intensity"]:
        reasons.append(f"aggregate intensity {intensity:.3g} {unit}/B is below the floor of "
                       f"{floor:.3g} {unit}/B")
    if not checks["deadline"] and budget_s <= 0:
        reasons.append(f"one run takes {tot['time_s'] * 1e3:.3g} ms, but buffering {w['frames']} frames "
                       f"alone already uses the {t.deadline_s * 1e3:.3g} ms latency budget")
    elif not checks["deadline"]:
        reasons.append(f"one run takes {tot['time_s'] * 1e3:.3g} ms, over the "
                       f"{time_budget_rule(t, w)}")
    if not checks["fits"]:
        reasons.append(_capacity_reason(cap))
    if toolkit(t).slider_slot:
        c[toolkit(t).slider_slot] = str(w["frames"])
    return DesignResult(
        choices=c, power_w=power, intensity=intensity, time_s=tot["time_s"], energy_j=tot["energy_j"],
        flops=tot["flops"], bytes=tot["bytes"], passes=all(checks.values()), reasons=reasons,
        ridge=tot["ridge"], rate_hz=rate, time_budget_s=budget_s,
        energy_budget_j=t.power_budget_w / rate, power_budget_w=t.power_budget_w, floor=floor,
        fits=checks["fits"], dtype=dtype, checks=checks, weights_in=cap.weights_in,
        static_w=tot["static_w"], bound=tot["bound"], offchip_bytes=tot["offchip_bytes"])


def _capacity_reason(cap) -> str:
    if cap.weights_in == "weight_store" and cap.weights_bytes > cap.weight_store_bytes:
        return (f"does not fit: weights {cap.weights_bytes / 1e6:.3g} MB exceed the "
                f"{cap.weight_store_bytes / 1e6:.3g} MB weight store (flash)")
    return cap.message()


def all_choices(track, scale=None) -> list[dict]:
    """Every mix of the slots (Tiny with ``scale``: only that many frames)."""
    t = get_track(track)
    ss = slots(t)
    driven = toolkit(t).slider_slot
    if driven and scale is not None:
        ss = [s if s.name != driven else replace(s, choices=(str(int(scale)),)) for s in ss]
    return [dict(zip([s.name for s in ss], combo)) for combo in itertools.product(*(s.choices for s in ss))]


def enumerate_designs(track, batch=None, scale=None, floor=None) -> list[DesignResult]:
    """All mixes of the slots, evaluated (for the scatter of energy vs intensity)."""
    return [evaluate_design(track, c, batch, scale, floor) for c in all_choices(track, scale)]


def pareto_front(results: list[DesignResult]) -> list[DesignResult]:
    """Designs no other design beats on both energy (lower) and intensity (higher)."""
    front = [r for r in results
             if not any(o.energy_j <= r.energy_j and o.intensity >= r.intensity
                        and (o.energy_j, o.intensity) != (r.energy_j, r.intensity) for o in results)]
    return sorted(front, key=lambda r: r.energy_j)


def graded_workload(track, batch=None, scale=None) -> tuple:
    """(batch, scale) a submitted design is graded at: the mission's workload (the challenge's
    start - the sliders explore, they do not move the goalposts), except a slot a slider
    drives (Tiny's frames per inference: a design choice)."""
    return None, (scale if toolkit(track).slider_slot else None)
