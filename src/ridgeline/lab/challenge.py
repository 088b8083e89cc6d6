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
from ..errors import RidgelineError
from ..hardware import get_hardware
from ..ops import Conv2d, Gemm, depthwise_separable
from ..pipeline import run
from ..recipes import Layer, Workload, get_model
from ..recipes.cnn import conv_bn
from ..recipes.mobilenet import INVERTED_RESIDUAL_SETTING
from .tracks import Track, get_track, required_rate, time_budget, workload_kwargs


@dataclass(frozen=True)
class Slot:
    name: str
    choices: tuple
    default: str
    help: str = ""


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

    @property
    def ridge_ratio(self) -> float:
        return self.intensity / self.ridge

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["ridge_ratio"] = self.ridge_ratio
        return d


# ------------------------------------------------------------------------------ slots

CONV, DWSEP = "Conv2D 3x3", "DW-separable 3x3"
KV_HEADS = {"MHA (64 KV heads)": 64, "GQA-8 (8 KV heads)": 8, "MQA (1 KV head)": 1}
STEMS = {"Conv 7x7/2 + max-pool": 0, "Patchify 4x4/4": 4, "Patchify 8x8/8": 8}
GROUPS = {"Linear (dense)": 1, "Grouped 1x1 (g=4)": 4, "Grouped 1x1 (g=16)": 16}
FRAMES_SLOT = "Frames per inference"


def _mobile_stages() -> list[tuple[str, range]]:
    """MobileNetV2 stages (rows of the block table) and their block indices features.1-17."""
    out, idx = [], 1
    for i, (_, c, n, _) in enumerate(INVERTED_RESIDUAL_SETTING, start=1):
        out.append((f"Stage {i} ({c} ch)", range(idx, idx + n)))
        idx += n
    return out


def slots(track) -> list[Slot]:
    """The track's backbone as slots; the defaults are the starting design."""
    t = get_track(track)
    if t.key == "cloud":
        return [Slot("Precision", ("bf16", "fp8"), "bf16", "weights, KV cache and math"),
                Slot("Attention kernel", ("Standard attention", "FlashAttention"), "Standard attention",
                     "Flash keeps the score matrix on chip (Dao et al. 2022, S36)"),
                Slot("KV heads", tuple(KV_HEADS), "GQA-8 (8 KV heads)",
                     "grouped-query attention shares K, V across query heads (S37, S38)")]
    if t.key == "edge":
        return [Slot("Stem", tuple(STEMS), "Conv 7x7/2 + max-pool",
                     "patchify = a KxK conv with stride K (no overlapping windows)"),
                *(Slot(f"layer{i} 3x3 convs", (CONV, DWSEP), CONV) for i in range(1, 5)),
                Slot("BatchNorm", ("Separate layers", "Folded into conv"), "Separate layers",
                     "folding BN into the conv's weights removes a read + write per activation")]
    if t.key == "mobile":
        return [Slot(name, ("DW-separable", "Conv2D 3x3"), "DW-separable",
                     "depthwise 3x3 + 1x1 projection vs one standard 3x3 conv")
                for name, _ in _mobile_stages()]
    return [Slot(FRAMES_SLOT, ("1", "2", "4", "8"), "1", "each frame is a 1 ms hop"),
            Slot("TCN 1x1 convs", tuple(GROUPS), "Linear (dense)", "grouped 1x1 = g smaller Linears"),
            Slot("TCN 3-tap conv", ("Depthwise", "Standard Conv"), "Depthwise"),
            Slot("Skip path", ("1x1 conv", "None (residual only)"), "1x1 conv"),
            Slot("TCN repeats", ("3", "2", "1"), "3", "R stacks of the 8 dilated blocks"),
            Slot("Norm + PReLU", ("Separate layers", "Fused into convs"), "Separate layers",
                 "fused: applied in the producing conv's epilogue, no extra activation traffic")]


def slider_slots(track) -> frozenset:
    """Slots that Part 3's workload sliders already control (Tiny's frames = its scale slider),
    so the app shows one control for them, not two that disagree."""
    return frozenset({FRAMES_SLOT}) if get_track(track).key == "tiny" else frozenset()


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
        if value not in slot.choices and not (name == FRAMES_SLOT and str(value).isdigit()):
            raise RidgelineError(f"slot {name!r} takes one of: {', '.join(slot.choices)}")
        out[name] = str(value)
    return out


# ------------------------------------------------------------------------------ builders


def design_layers(track, choices: dict, batch=None, scale=None) -> tuple[list[Layer], str, dict]:
    """(layers, dtype, workload fields) of a design; ``scale`` overrides Tiny's frames slot."""
    t = get_track(track)
    c = _checked(t, choices)
    if t.key == "tiny" and scale is not None:
        c[FRAMES_SLOT] = str(int(scale))
        scale = None
    w = workload_kwargs(t, batch, scale, part=3)
    if t.key == "tiny":
        w["frames"] = int(c[FRAMES_SLOT])
    layers, dtype = _BUILDERS[t.key](t, c, w)
    return layers, dtype, w


def _cloud(t: Track, c: dict, w: dict):
    recipe = get_model(t.model)
    cfg = replace(recipe.config, n_kv_heads=KV_HEADS[c["KV heads"]])
    wl = Workload(**dict(w, flash=c["Attention kernel"] == "FlashAttention"))
    return recipe.builder(cfg, wl), c["Precision"]


def _separable(layer: Layer) -> list[Layer]:
    op = layer.op
    dw, pw = depthwise_separable(op.batch, op.in_channels, op.out_channels, op.height, op.width,
                                 op.kernel_h, op.stride)
    return [Layer(f"{layer.name}.dw", dw, layer.count, layer.group),
            Layer(f"{layer.name}.pw", pw, layer.count, layer.group)]


def _edge(t: Track, c: dict, w: dict):
    """ResNet-50 with a chosen stem, per-stage 3x3 operator and BN placement.

    A stride-8 patchify stem feeds the body an eighth-size map: the body is the recipe built
    at half the resolution (whose own stem + max-pool it replaces).
    """
    width, height = w["resolution"]
    stride = STEMS[c["Stem"]]
    body_res = (-(-width // 2), -(-height // 2)) if stride == 8 else (width, height)
    built = _build(t.model, dict(w, resolution=body_res))
    layers: list[Layer] = []
    if stride:
        conv_bn(layers, "stem.conv", "stem.bn", "stem", w["batch"], 3, 64, height, width,
                stride, stride, padding=0)
    for layer in built:
        stage = layer.name.split(".")[0]
        if stride and layer.name.startswith("stem."):
            continue
        if layer.name.endswith(".conv2") and c.get(f"{stage} 3x3 convs") == DWSEP:
            layers += _separable(layer)
        else:
            layers.append(layer)
    if c["BatchNorm"] == "Folded into conv":
        layers = [l for l in layers if l.op.kind != "norm"]
    return layers, t.dtype


def _mobile(t: Track, c: dict, w: dict):
    """Splice mobilenet-v2 (separable) and mobilenet-v2-standard blocks stage by stage."""
    sep, std = (_build(m, w) for m in ("mobilenet-v2", "mobilenet-v2-standard"))
    standard_blocks = {f"features.{i}" for name, blocks in _mobile_stages()
                       if c[name] == "Conv2D 3x3" for i in blocks}
    layers = [l for l in sep if l.group not in standard_blocks]
    swapped = [l for l in std if l.group in standard_blocks]
    order = {g: i for i, g in enumerate(dict.fromkeys(l.group for l in std))}
    return sorted(layers + swapped, key=lambda l: order[l.group]), t.dtype


def _grouped(op: Gemm, g: int) -> Conv2d | Gemm:
    """A 1x1 conv over M = batch x frames positions split into g groups (Linear when g = 1)."""
    if g == 1:
        return op
    return Conv2d(1, op.k, op.n, 1, op.m, 1, 1, groups=g, bias=op.bias)


def _tiny(t: Track, c: dict, w: dict):
    """Conv-TasNet with grouped 1x1s, a standard or depthwise 3-tap conv, no skip path,
    fewer repeats (``count`` of the TCN layers), or norms and PReLUs fused into the convs
    (Vela fuses activations into the producing operator; a fused norm costs no extra pass)."""
    g, repeats = GROUPS[c["TCN 1x1 convs"]], int(c["TCN repeats"])
    fused = c["Norm + PReLU"] == "Fused into convs"
    out = []
    for layer in _build(t.model, w):
        if fused and (layer.op.kind == "norm" or "prelu" in layer.name):
            continue
        if not layer.name.startswith("tcn."):
            out.append(layer)
            continue
        part = layer.name.rsplit(".", 1)[1]
        if part in ("skip_conv", "skip_add") and c["Skip path"] != "1x1 conv":
            continue
        out.append(_tcn_layer(layer, g, c["TCN 3-tap conv"] == "Standard Conv", repeats))
    return out, t.dtype


@lru_cache(maxsize=8192)
def _tcn_layer(layer: Layer, groups: int, standard: bool, repeats: int) -> Layer:
    """One TCN layer with its operator swapped (cached: building ops validates shapes)."""
    part, op = layer.name.rsplit(".", 1)[1], layer.op
    if part in ("conv1x1", "res_conv", "skip_conv"):
        op = _grouped(op, groups)
    if part == "dconv" and standard:
        op = replace(op, groups=1)
    return replace(layer, op=op, count=repeats)


def _build(model: str, w: dict) -> tuple:
    """The recipe's layers for a workload (cached: every mix reuses the same build)."""
    return _cached_build(model, tuple(sorted(w.items())))


@lru_cache(maxsize=256)
def _cached_build(model, items) -> tuple:
    return tuple(get_model(model).build(Workload(**dict(items))))


_BUILDERS = {"cloud": _cloud, "edge": _edge, "mobile": _mobile, "tiny": _tiny}


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
            "bound": str(e.bound)}


@lru_cache(maxsize=4096)
def _evaluate(track_key, choice_items, batch, scale):
    t = get_track(track_key)
    layers, dtype, w = design_layers(t, dict(choice_items), batch, scale)
    prof = run(layers, get_hardware(t.hardware), get_dtype(dtype), CHALLENGE_MEMORY_MODEL)
    return _totals(prof), prof.capacity, dtype, w


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
        reasons.append(f"power {power:.3g} W at {rate:.4g} runs/s exceeds the {t.power_budget_w:.3g} W budget")
    if not checks["intensity"]:
        reasons.append(f"aggregate intensity {intensity:.3g} {unit}/B is below the floor of {floor:.3g}")
    if not checks["deadline"] and budget_s <= 0:
        reasons.append(f"one run takes {tot['time_s'] * 1e3:.3g} ms, but buffering {w['frames']} frames "
                       f"alone already uses the {t.deadline_s * 1e3:.3g} ms latency budget")
    elif not checks["deadline"]:
        reasons.append(f"one run takes {tot['time_s'] * 1e3:.3g} ms; the deadline allows {budget_s * 1e3:.3g} ms")
    if not checks["fits"]:
        reasons.append(_capacity_reason(cap))
    if t.key == "tiny":
        c[FRAMES_SLOT] = str(w["frames"])
    return DesignResult(
        choices=c, power_w=power, intensity=intensity, time_s=tot["time_s"], energy_j=tot["energy_j"],
        flops=tot["flops"], bytes=tot["bytes"], passes=all(checks.values()), reasons=reasons,
        ridge=tot["ridge"], rate_hz=rate, time_budget_s=budget_s,
        energy_budget_j=t.power_budget_w / rate, power_budget_w=t.power_budget_w, floor=floor,
        fits=checks["fits"], dtype=dtype, checks=checks, weights_in=cap.weights_in,
        static_w=tot["static_w"], bound=tot["bound"])


def _capacity_reason(cap) -> str:
    if cap.weights_in == "weight_store" and cap.weights_bytes > cap.weight_store_bytes:
        return (f"does not fit: weights {cap.weights_bytes / 1e6:.3g} MB exceed the "
                f"{cap.weight_store_bytes / 1e6:.3g} MB weight store (flash)")
    return cap.message()


def all_choices(track, scale=None) -> list[dict]:
    """Every mix of the slots (Tiny with ``scale``: only that many frames)."""
    t = get_track(track)
    ss = slots(t)
    if t.key == "tiny" and scale is not None:
        ss = [s if s.name != FRAMES_SLOT else replace(s, choices=(str(int(scale)),)) for s in ss]
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
