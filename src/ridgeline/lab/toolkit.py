"""Part 3's Lego toolkit as data: each track's slots in its real backbone and the builder that
substitutes the chosen operators (the seed's Linear, Conv2D, depthwise-separable conv and
FlashAttention vs standard attention, where they apply).

A :class:`Toolkit` holds the slots (the defaults are the starting design), the builder
``(track, choices, workload) -> (layers, dtype)`` and, for Tiny, the slot a slider drives.
Operators (docs/formulas.md §4): a depthwise-separable conv is a depthwise K x K (groups =
C_in) then a 1 x 1 (Howard et al. 2017, S41); a grouped 1 x 1 with g groups does 1/g of the
work on the same activations (ShuffleNet, Zhang et al. 2018); grouped-query attention shares
K and V across query heads (S37, S38); FlashAttention never writes the score matrix (S36).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable

from ..ops import Conv2d, Gemm, depthwise_separable, linear
from ..recipes import Layer, Workload, get_model
from ..recipes.mobilenet import INVERTED_RESIDUAL_SETTING


@dataclass(frozen=True)
class Slot:
    name: str
    choices: tuple
    default: str
    help: str = ""


@dataclass(frozen=True)
class Pass:
    """One forward pass of a design and how many times it runs per run of the mission: Cloud's
    serving step is a decode pass plus 1/A of a prefill pass (A = tokens per answer)."""

    label: str
    layers: tuple
    share: float = 1.0
    kv_held: float = 1.0   # KV cache held / the pass's own (peak over mean context)


@dataclass(frozen=True)
class Toolkit:
    slots: tuple
    builder: Callable          # (track, choices, workload dict) -> (passes, dtype)
    slider_slot: str = ""      # a slot that a Part 3 slider drives (Tiny's frames)
    start: str = ""            # the starting design's model when it is not the track's
    hint: str = ""             # what the hardware lead adds (a lever that is not a select)


CONV, DWSEP = "Conv2D 3x3", "DW-separable 3x3"
KV_HEADS = {"MHA (64 KV heads)": 64, "GQA-8 (8 KV heads)": 8, "MQA (1 KV head)": 1}
ONE_BY_ONE = {"Dense 1x1": 1, "Grouped 1x1 (g=4)": 4, "Grouped 1x1 (g=8)": 8}
GROUPS = {"Linear (dense)": 1, "Grouped 1x1 (g=4)": 4, "Grouped 1x1 (g=16)": 16}
FRAMES_SLOT = "Frames per inference"
_ONE_BY_ONE_HELP = "grouped 1x1 = g smaller convs over the same activations (ShuffleNet)"


def mobile_stages() -> list[tuple[str, range]]:
    """MobileNetV2 stages (rows of the block table) and their block indices features.1-17."""
    out, idx = [], 1
    for i, (_, c, n, _) in enumerate(INVERTED_RESIDUAL_SETTING, start=1):
        out.append((f"Stage {i} ({c} ch)", range(idx, idx + n)))
        idx += n
    return out


# ------------------------------------------------------------------------------ builders


def _build(model: str, w: dict) -> tuple:
    """The recipe's layers for a workload (cached: every mix reuses the same build)."""
    return _cached_build(model, tuple(sorted(w.items())))


@lru_cache(maxsize=256)
def _cached_build(model, items) -> tuple:
    return tuple(get_model(model).build(Workload(**dict(items))))


def _grouped_1x1(layers, groups: int, suffixes: tuple) -> list[Layer]:
    """Every dense 1x1 conv named ``*suffix`` split into ``groups`` groups (where it divides)."""
    if groups == 1:
        return list(layers)
    return [_group(l, groups) if l.name.endswith(suffixes) else l for l in layers]


@lru_cache(maxsize=4096)
def _group(layer: Layer, groups: int) -> Layer:
    op = layer.op
    if (not isinstance(op, Conv2d) or op.kernel_h != 1 or op.kernel_w != 1 or op.groups != 1
            or op.in_channels % groups or op.out_channels % groups):
        return layer
    return replace(layer, op=replace(op, groups=groups))


#: Cloud's serving step: every stream's prompt has PROMPT tokens (the seq-len slider) and its
#: answer ANSWER tokens, so per decode step the server also prefills 1/ANSWER of a batch of
#: prompts (each of the B streams is prefilled once per ANSWER steps). An assumption (U1).
ANSWER = 256


def _cloud(t, c: dict, w: dict):
    """A decode step of B streams at the mean context (prompt + ANSWER/2) plus its share of
    the prefill of B prompts; the prefill computes logits for each prompt's last token only
    (as serving engines do) and reads the same resident weights again."""
    recipe = get_model(t.model)
    cfg = replace(recipe.config, n_kv_heads=KV_HEADS[c["KV heads"]])
    flash, b, prompt = c["Attention kernel"] == "FlashAttention", w["batch"], w["seq_len"]
    decode = recipe.builder(cfg, Workload(**dict(w, seq_len=prompt + ANSWER // 2, flash=flash)))
    prefill = recipe.builder(cfg, Workload(**dict(w, phase="prefill", flash=flash)))
    prefill = [_prefill_layer(l, b, cfg) for l in prefill]
    peak = (prompt + ANSWER) / (prompt + ANSWER // 2)  # the cache at an answer's last token
    return (Pass("decode", tuple(decode), kv_held=peak),
            Pass("prefill", tuple(prefill), 1 / ANSWER)), c["Precision"]


def _prefill_layer(layer: Layer, batch: int, cfg) -> Layer:
    """The LM head on each prompt's last token only (the weights are the decode pass's: the
    challenge counts their footprint once, challenge._held)."""
    if layer.name == "lm_head":
        return replace(layer, op=linear(batch, cfg.d_model, cfg.vocab))
    return layer


@lru_cache(maxsize=4096)
def _separable(layer: Layer) -> tuple:
    op = layer.op
    dw, pw = depthwise_separable(op.batch, op.in_channels, op.out_channels, op.height, op.width,
                                 op.kernel_h, op.stride)
    return (Layer(f"{layer.name}.dw", dw, layer.count, layer.group),
            Layer(f"{layer.name}.pw", pw, layer.count, layer.group))


def _edge(t, c: dict, w: dict):
    """ResNet-50 with each stage's 3x3 convs standard or depthwise-separable, and its 1x1
    convs dense or grouped."""
    layers: list[Layer] = []
    for layer in _build(t.model, w):
        stage = layer.name.split(".")[0]
        if layer.name.endswith(".conv2") and c.get(f"{stage} 3x3 convs") == DWSEP:
            layers += _separable(layer)
        else:
            layers.append(layer)
    return (_one(_grouped_1x1(layers, ONE_BY_ONE[c["1x1 convs"]], (".conv1", ".conv3", ".pw"))),
            t.challenge_dtype or t.dtype)


def _mobile(t, c: dict, w: dict):
    """Splice mobilenet-v2-standard (standard 3x3) and mobilenet-v2 (depthwise + 1x1
    projection) blocks stage by stage; group the blocks' 1x1 convs if chosen."""
    sep, std = (_build(m, w) for m in ("mobilenet-v2", "mobilenet-v2-standard"))
    separable = {f"features.{i}" for name, blocks in mobile_stages()
                 if c[name] == "DW-separable" for i in blocks}
    layers = [l for l in std if l.group not in separable]
    swapped = [l for l in sep if l.group in separable]
    order = {g: i for i, g in enumerate(dict.fromkeys(l.group for l in std))}
    layers = sorted(layers + swapped, key=lambda l: order[l.group])
    return _one(_grouped_1x1(layers, ONE_BY_ONE[c["1x1 convs"]], (".expand", ".project"))), t.dtype


def _tiny(t, c: dict, w: dict):
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
    return _one(out), t.dtype


def _one(layers) -> tuple:
    """A design that is a single pass, run once per run."""
    return (Pass("", tuple(layers)),)


def _grouped_gemm(op: Gemm, g: int) -> Conv2d | Gemm:
    """A 1x1 conv over M = batch x frames positions split into g groups (Linear when g = 1)."""
    if g == 1:
        return op
    return Conv2d(1, op.k, op.n, 1, op.m, 1, 1, groups=g, bias=op.bias)


@lru_cache(maxsize=8192)
def _tcn_layer(layer: Layer, groups: int, standard: bool, repeats: int) -> Layer:
    """One TCN layer with its operator swapped (cached: building ops validates shapes)."""
    part, op = layer.name.rsplit(".", 1)[1], layer.op
    if part in ("conv1x1", "res_conv", "skip_conv"):
        op = _grouped_gemm(op, groups)
    if part == "dconv" and standard:
        op = replace(op, groups=1)
    return replace(layer, op=op, count=repeats)


# ------------------------------------------------------------------------------ the toolkits

_CLOUD = Toolkit(builder=_cloud, slots=(
    Slot("Precision", ("bf16", "fp8"), "bf16", "weights, KV cache and math"),
    Slot("Attention kernel", ("Standard attention", "FlashAttention"), "Standard attention",
         "Flash keeps the score matrix on chip (Dao et al. 2022, S36)"),
    Slot("KV heads", tuple(KV_HEADS), "GQA-8 (8 KV heads)",
         "grouped-query attention shares K, V across query heads (S37, S38)")))

_EDGE = Toolkit(builder=_edge, slots=(
    *(Slot(f"layer{i} 3x3 convs", (CONV, DWSEP), CONV,
           "depthwise 3x3 + 1x1 vs one standard 3x3 conv") for i in range(1, 5)),
    Slot("1x1 convs", tuple(ONE_BY_ONE), "Dense 1x1", _ONE_BY_ONE_HELP)))

_MOBILE = Toolkit(builder=_mobile, start="mobilenet-v2-standard (standard 3x3 convs)", slots=(
    *(Slot(name, ("Conv2D 3x3", "DW-separable"), "Conv2D 3x3",
           "one standard 3x3 conv vs depthwise 3x3 + 1x1 projection")
      for name, _ in mobile_stages()),
    Slot("1x1 convs", tuple(ONE_BY_ONE), "Dense 1x1", _ONE_BY_ONE_HELP)))

_TINY = Toolkit(builder=_tiny, slider_slot=FRAMES_SLOT, hint=(
    "Frames per inference (the slider) is part of your toolkit: each frame is a 1 ms hop, and "
    "a run over F buffered frames reads every weight from flash once for F hops."), slots=(
    Slot(FRAMES_SLOT, ("1", "2", "4", "8"), "1", "each frame is a 1 ms hop"),
    Slot("TCN 1x1 convs", tuple(GROUPS), "Linear (dense)", "grouped 1x1 = g smaller Linears"),
    Slot("TCN 3-tap conv", ("Depthwise", "Standard Conv"), "Depthwise"),
    Slot("Skip path", ("1x1 conv", "None (residual only)"), "1x1 conv"),
    Slot("TCN repeats", ("3", "2", "1"), "3", "R stacks of the 8 dilated blocks"),
    Slot("Norm + PReLU", ("Separate layers", "Fused into convs"), "Separate layers",
         "fused: applied in the producing conv's epilogue, no extra activation traffic")))

TOOLKITS = {"cloud": _CLOUD, "edge": _EDGE, "mobile": _MOBILE, "tiny": _TINY}
