"""Part 3's operator swaps, in numbers: what each track's lock asks about, from the engine.

A track's ``part3_swap`` picks the lock. "depthwise" (Edge, Mobile, Tiny): the track's own
standard conv vs its depthwise-separable form (:func:`dw_pair`, built by the :data:`PAIRS`
entry its ``part3_pair`` names). "flash" (Cloud, whose Llama model has no convolution):
standard attention vs FlashAttention in prefill at the track's batch and sequence length
(:func:`flash_pair`), with the model's heads, KV heads and head_dim. Both are estimated in the compulsory-traffic
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
    """(standard conv, depthwise-separable pair, description) for the track's Part 3 lock,
    built by ``PAIRS[t.part3_pair]``. A track without one (Cloud, whose model has no
    convolution) asks about FlashAttention instead (:func:`flash_pair`)."""
    if t.part3_pair not in PAIRS:
        raise RidgelineError(f"track {t.key} has no conv pair: its Part 3 is FlashAttention")
    return PAIRS[t.part3_pair](t)


def _resnet_conv(t: Track):
    """ResNet-50 layer1.0.conv2 (3x3, 64 ch at 1/4 resolution) split into depthwise + 1x1."""
    op = {l.name: l.op for l in track_layers(t)}["layer1.0.conv2"]
    dw, pw = depthwise_separable(op.batch, op.in_channels, op.out_channels, op.height,
                                 op.width, op.kernel_h, op.stride)
    return op, (dw, pw), "ResNet-50 layer1.0.conv2 (3x3, 64 channels)"


def _mobilenet_block(t: Track):
    """Block features.3 of mobilenet-v2-standard vs mobilenet-v2 (same shapes)."""
    op = next(l.op for l in track_layers_of(t, "mobilenet-v2-standard") if l.name == "features.3.conv")
    ops = {l.name: l.op for l in track_layers(t)}
    return op, (ops["features.3.dw"], ops["features.3.project"]), \
        "MobileNetV2 block features.3 (standard 3x3 vs depthwise 3x3 + 1x1 projection)"


def _tcn_conv(t: Track):
    """A Conv-TasNet TCN block's dilated 3-tap conv (512 ch) as a standard conv vs
    depthwise + 1x1, over one new frame per pass."""
    w = workload_kwargs(t)
    frames, c = w["frames"], 512
    op = Conv2d(w["batch"], c, c, 1, frames + 2, 1, 3, bias=True)
    dw = Conv2d(w["batch"], c, c, 1, frames + 2, 1, 3, groups=c, bias=True)
    pw = Conv2d(w["batch"], c, c, 1, frames, 1, 1, bias=True)
    return op, (dw, pw), "a Conv-TasNet TCN 3-tap conv over 512 channels (one new frame)"


#: Track.part3_pair -> the builder of its (standard, (depthwise, pointwise), description).
PAIRS = {"resnet-conv": _resnet_conv, "mobilenet-block": _mobilenet_block, "tcn-conv": _tcn_conv}


def track_layers_of(t: Track, model: str):
    """Layers of another recipe (the standard-conv twin) at the track's workload."""
    recipe = get_model(model)
    return recipe.build(recipe.workload(**workload_kwargs(t)))


def _est(op, t: Track):
    return estimate(op, t.hardware, t.dtype, MEMORY_MODEL)


def part3_numbers(t: Track) -> dict:
    """The deciding numbers of Part 3 by ``t.part3_swap``: :func:`dw_numbers` (the conv pair's)
    or :func:`flash_numbers` (Cloud's)."""
    return _NUMBERS[t.part3_swap](t)


def dw_numbers(t: Track) -> dict:
    """A depthwise swap's numbers: FLOPs, bytes and intensity of the standard conv vs the pair."""
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


#: Track.part3_swap -> the numbers of its Part 3 lock.
_NUMBERS = {"depthwise": dw_numbers, "flash": flash_numbers}


def compared_shape(t) -> str:
    """The compared layer's shape, so both halves of the question can be worked out."""
    op = {l.name: l.op for l in track_layers(t)}[t.conv_layer]
    if isinstance(op, Conv2d):
        return (f"{t.conv_layer} is a {op.kernel_h}x{op.kernel_w} conv, stride {op.stride}, "
                f"{op.in_channels} -> {op.out_channels} channels over a W x H = {op.width} x {op.height} "
                f"input ({op.out_width} x {op.out_height} output positions, batch {op.batch}).")
    return (f"{t.conv_layer} is decode attention: {op.batch} new tokens, each reading a "
            f"{op.seq_len:,}-token KV cache of {op.kv_heads} KV heads x {op.head_dim} channels "
            f"for {op.heads} query heads.")
