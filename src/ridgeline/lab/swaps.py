"""Part 3's operator swaps, in numbers: what each track's lock asks about, from the engine.

Edge, Mobile, Tiny: the track's own standard conv vs its depthwise-separable form
(:func:`dw_pair`). Cloud, whose Llama model has no convolution: standard attention vs
FlashAttention in prefill at the track's batch and sequence length (:func:`flash_pair`),
with the model's heads, KV heads and head_dim. Both are estimated in the compulsory-traffic
model the lab's profiles use (:data:`MEMORY_MODEL`; :func:`ridgeline.roofline.estimate`'s own
default is "placed"): each operand moved once, standard attention's T x T scores and softmax
written and read back, FlashAttention's kept on chip.
"""

from __future__ import annotations

from ..errors import RidgelineError
from ..ops import Attention, Conv2d, depthwise_separable
from ..recipes import get_model
from ..roofline import estimate, total
from .cards import track_layers
from .tracks import Track, workload_kwargs

MEMORY_MODEL = "compulsory"


def dw_pair(t: Track):
    """(standard conv, depthwise-separable pair, description) for the track's Part 3 lock.

    Edge: ResNet-50 layer1.0.conv2 (3x3, 64 ch at 1/4 resolution); Mobile: block features.3
    of mobilenet-v2-standard vs mobilenet-v2 (same shapes); Tiny: a Conv-TasNet TCN block's
    dilated 3-tap conv (512 ch) as a standard conv vs depthwise + 1x1. Cloud, whose model has
    no convolution, asks about FlashAttention instead (:func:`flash_pair`).
    """
    w = workload_kwargs(t)
    if t.key == "edge":
        op = {l.name: l.op for l in track_layers(t)}["layer1.0.conv2"]
        dw, pw = depthwise_separable(op.batch, op.in_channels, op.out_channels, op.height,
                                     op.width, op.kernel_h, op.stride)
        return op, (dw, pw), "ResNet-50 layer1.0.conv2 (3x3, 64 channels)"
    if t.key == "mobile":
        op = next(l.op for l in track_layers_of(t, "mobilenet-v2-standard") if l.name == "features.3.conv")
        ops = {l.name: l.op for l in track_layers(t)}
        return op, (ops["features.3.dw"], ops["features.3.project"]), \
            "MobileNetV2 block features.3 (standard 3x3 vs depthwise 3x3 + 1x1 projection)"
    if t.key == "tiny":
        frames, c = w["frames"], 512
        op = Conv2d(w["batch"], c, c, 1, frames + 2, 1, 3, bias=True)
        dw = Conv2d(w["batch"], c, c, 1, frames + 2, 1, 3, groups=c, bias=True)
        pw = Conv2d(w["batch"], c, c, 1, frames, 1, 1, bias=True)
        return op, (dw, pw), "A Conv-TasNet TCN 3-tap conv over 512 channels (one new frame)"
    raise RidgelineError(f"track {t.key} has no conv pair: its Part 3 is FlashAttention")


def track_layers_of(t: Track, model: str):
    """Layers of another recipe (the standard-conv twin) at the track's workload."""
    recipe = get_model(model)
    return recipe.build(recipe.workload(**workload_kwargs(t)))


def _est(op, t: Track):
    return estimate(op, t.hardware, t.dtype, MEMORY_MODEL)


def part3_numbers(t: Track) -> dict:
    """The deciding numbers of Part 3: the conv pair's, or Cloud's :func:`flash_numbers`."""
    if t.key == "cloud":
        return flash_numbers(t)
    std, sep, desc = dw_pair(t)
    a, b = _est(std, t), total([_est(o, t) for o in sep])
    return {"description": desc, "standard_flops": float(a.flops), "separable_flops": float(b.flops),
            "flops_cut": float(a.flops) / float(b.flops), "standard_intensity": float(a.intensity),
            "separable_intensity": float(b.intensity),
            "depthwise_intensity": float(_est(sep[0], t).intensity),
            "ratio": float(b.intensity) / float(a.intensity), "ridge": float(a.ridge),
            "standard_bytes": float(a.bytes.total), "separable_bytes": float(b.bytes.total)}


def flash_pair(t: Track):
    """(standard, FlashAttention) prefill attention cores of the track's model at its
    workload's batch and sequence length (Llama-3-70B: 64 query heads, 8 KV heads, d = 128)."""
    w, c = workload_kwargs(t), get_model(t.model).config
    return tuple(Attention(w["batch"], c.n_heads, c.n_kv_heads, c.head_dim, w["seq_len"],
                           "prefill", flash=f) for f in (False, True))


def flash_numbers(t: Track) -> dict:
    """Cloud's Part 3: intensity of prefill attention, standard vs FlashAttention."""
    std, fa = flash_pair(t)
    a, b = _est(std, t), _est(fa, t)
    return {"description": (f"{t.model}'s attention core in prefill (batch {std.batch}, "
                            f"T = {std.seq_len} tokens, {std.heads} query heads, {std.kv_heads} KV "
                            f"heads, head_dim {std.head_dim})"),
            "batch": std.batch, "seq_len": std.seq_len, "heads": std.heads,
            "kv_heads": std.kv_heads, "head_dim": std.head_dim,
            "flops": float(a.flops), "flops_cut": float(a.flops) / float(b.flops),
            "standard_bytes": float(a.bytes.total), "flash_bytes": float(b.bytes.total),
            "scores_bytes": float(a.bytes.scratch), "standard_intensity": float(a.intensity),
            "flash_intensity": float(b.intensity), "ratio": float(b.intensity) / float(a.intensity),
            "ridge": float(a.ridge)}
