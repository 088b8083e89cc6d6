"""The three locks of each track and their reveals, every answer computed from the engine.

Each prompt carries every number the student needs, computed from the track (nothing
hard-coded):

Part 1: which of the track's Linear layer and its conv (attention for Cloud: the track's
``conv_role`` picks the words, :data:`ROLE_WORDS`) hits the memory wall, plus the student's own intensity for the Linear layer. The prompt gives the Linear's
shape (M x K by K x N, from the layer's op at the track's workload), the batch and rows M it
runs at (Cloud: batch 4, M = 4), the bytes per element of the track's format, the unit
(FLOP/B, op/B on integer tracks) and, on its last line, the tolerance.
Part 2: doubling the scaled parameter (sequence length, resolution, frames): does the
scaling layer's intensity rise, fall or stay?
Part 3: an operator swap that changes the bytes more than (or as well as) the work, picked by
the track's ``part3_swap`` ("depthwise" or "flash", :data:`PART3`). Edge,
Mobile, Tiny: the track's own standard conv vs its depthwise-separable form, the prompt
quoting the engine's FLOP cut for that pair (:func:`part3_numbers`, 2 significant
figures). Cloud (Llama has no convolution): FlashAttention vs standard attention in prefill
at the track's sequence length (:func:`flash_numbers`). The numbers live in :mod:`.swaps`. The key stays "p3-depthwise" on
every track (the ledger stores it).

Intensities are the compulsory-traffic ones (each operand moved once; standard attention's
score matrix counts, as it must go to memory), as the lab's profiles use.

Grading rules (documented here, shown in the reveal):
- "rises"/"falls" need a change of more than :data:`STAY_BAND` (10 %); inside it, "stays".
- Part 1's "both about equally" is right when the two intensities are within a factor
  :data:`SAME_FACTOR` (1.25) of each other; otherwise the lower one hits the wall first.
- Part 1's number is right within :data:`NUMBER_TOLERANCE` (15 %) of either compulsory-traffic
  convention: all operands (inputs + weights + outputs, the engine's default) or weights only
  (2.MACs / weight bytes, DATA.md C.2's "~2B/s"); 15 % absorbs rounding such as 2B/s for
  2BNK/(s(BK + KN + BN)) while still rejecting a factor-2 slip (MACs for FLOPs, bits for bytes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..dtypes import get_dtype
from ..errors import RidgelineError
from ..format import format_ratio, format_si
from ..ops import Conv2d, Gemm
from .cards import track_layers
from .story import judged, ridge_words
from .swaps import (  # noqa: F401
    compared_shape,
    dw_pair,
    flash_numbers,
    flash_pair,
    part3_numbers,
    track_layers_of,
)
from .tracks import Track, get_track, track_profile, workload_kwargs

STAY_BAND = 0.10
SAME_FACTOR = 1.25
NUMBER_TOLERANCE = 0.15
TREND = ("Rises", "Falls", "Stays about the same")
NUMERIC_LABEL = "Your intensity ({unit}/B)"  # FLOP/B, or op/B on integer tracks

#: Track.conv_role -> how Part 1 names the comparison layer ({t} is the track): in the
#: choices, in the prompt's question and in the reveal.
ROLE_WORDS = {
    "conv": {"choice": "The conv layer", "prompt": "the conv layer {t.conv_layer}",
             "reveal": "{t.conv_layer}"},
    "attention": {"choice": "The attention core",
                  "prompt": "the decode attention core ({t.conv_layer})",
                  "reveal": "decode attention"},
}


@dataclass(frozen=True)
class Question:
    part: int
    key: str
    prompt: str
    choices: tuple
    numeric: str | None   # label of the numeric field (Part 1), else None


@dataclass(frozen=True)
class Reveal:
    correct: bool
    student: dict
    computed: dict
    explanation: str
    numbers: dict


def _part1_choices(t: Track) -> tuple:
    other = ROLE_WORDS[t.conv_role]["choice"]
    return (f"The Linear layer ({t.linear_layer})", f"{other} ({t.conv_layer})",
            "Both about equally")


def _scale_words(t: Track) -> str:
    return {"seq-len": "the sequence length (the KV-cache context)",
            "resolution": "the image resolution (width and height)",
            "frames": "the frames per inference"}[t.scale_param]


def questions(track) -> list[Question]:
    """One lock per part, worded for the track, with the numbers each one needs."""
    t = get_track(track)
    target = t.scaling_words or f"{t.scaling_layer_name} ({t.model})"
    p2 = (f"Double {_scale_words(t)} for {target}: does its arithmetic intensity rise, fall, "
          f"or stay the same?")
    return [Question(1, "p1-linear-vs-conv", _prompt1(t), _part1_choices(t),
                     NUMERIC_LABEL.format(unit=t.work_unit)),
            Question(2, "p2-scaling", p2, TREND, None),
            Question(3, "p3-depthwise", _prompt3(t), TREND, None)]


def part1_shape(t: Track) -> dict:
    """What Part 1's prompt gives: batch, the Linear's M, K, N (and bias), bytes per element."""
    op = {l.name: l.op for l in track_layers(t)}[t.linear_layer]
    return {"batch": int(workload_kwargs(t)["batch"]), "m": int(op.m), "k": int(op.k),
            "n": int(op.n), "bias": bool(op.bias), "bytes_per_element": get_dtype(t.dtype).bytes}


def _prompt1(t: Track) -> str:
    s, u = part1_shape(t), t.work_unit
    other = ROLE_WORDS[t.conv_role]["prompt"].format(t=t)
    per = t.part1_rows.format(**workload_kwargs(t))
    bias = f", plus a bias of {s['n']}" if s["bias"] else ""
    nbytes = f"{_f(s['bytes_per_element'])} byte{'' if s['bytes_per_element'] == 1 else 's'}"
    return (f"Calculate the theoretical arithmetic intensity ({u}s per byte moved, in {u}/B) of "
            f"the Linear layer {t.linear_layer} in {t.model} on {t.hardware} ({t.dtype}, {nbytes} "
            f"per element). At batch {s['batch']} (M = {s['m']} row{'' if s['m'] == 1 else 's'}: "
            f"{per}) it multiplies an M x K = {s['m']} x {s['k']} input "
            f"by a K x N = {s['k']} x {s['n']} weight matrix{bias}. {compared_shape(t)} Which hits "
            f"the memory wall: {t.linear_layer} or {other}?\n\n"
            f"Count every operand (input, weights, output) moved once, or the weights only: "
            f"answers within {NUMBER_TOLERANCE * 100:.0f} % of either convention count.")


def _prompt3(t: Track) -> str:
    return PART3[t.part3_swap][0](t, part3_numbers(t))


def _prompt3_flash(t: Track, n: dict) -> str:
    return (f"Swap standard attention for FlashAttention in {n['description']} on "
                f"{t.hardware} ({t.dtype}). Standard attention writes the T x T score matrix "
                f"(and its softmax) to memory and reads it back; FlashAttention does the same "
                f"FLOPs but never writes the T x T score matrix to memory. What does it do to the "
                f"arithmetic intensity of the attention core in prefill at T = {n['seq_len']}?")


def _prompt3_dw(t: Track, n: dict) -> str:
    return (f"{n['description']} on {t.hardware} ({t.dtype}): replacing the standard convolution "
            f"with a depthwise-separable one cuts FLOPs {sig2(n['flops_cut'])}x. What does it do "
            f"to arithmetic intensity?")


def reveal(track, part: int, choice: str, number=None) -> Reveal:
    """The student's answer beside the computed one, with the numbers that decide it."""
    t = get_track(track)
    if part not in (1, 2, 3):
        raise RidgelineError(f"part must be 1, 2 or 3, got {part!r}")
    choices = questions(t)[part - 1].choices
    if choice not in choices:
        raise RidgelineError(f"choice must be one of: {', '.join(choices)}")
    rv = {1: _reveal1, 2: _reveal2, 3: _reveal3}[part](t, choice, number)
    if "ridge" in rv.numbers:  # the deciding numbers name their ridge (a level's or a byte mix's)
        rv.numbers["ridge_label"] = judged(rv.numbers["ridge"], t.hardware, t.dtype)["label"]
    return rv


def trend(ratio: float) -> str:
    """'Rises' / 'Falls' beyond the +-10 % band, else 'Stays about the same'."""
    if ratio > 1 + STAY_BAND:
        return TREND[0]
    if ratio < 1 / (1 + STAY_BAND):
        return TREND[1]
    return TREND[2]


def _f(x: float) -> str:
    """Numbers as the explanations quote them: 3 significant figures, SI prefixes from a
    million up or below 0.01 (never '2.35e+08'), thousands grouped below that."""
    return _number(float(x))


def _number(x: float) -> str:
    if math.isfinite(x) and (abs(x) >= 1e6 or (x != 0 and abs(x) < 1e-2)):
        return format_si(x, "").strip()
    return f"{int(x):,}" if math.isfinite(x) and x == int(x) else format_ratio(x)


def _b(x: float) -> str:
    """Bytes as the explanations quote them: '235 MB'."""
    return format_si(float(x), "B")


def sig2(x: float) -> str:
    """A ratio to 2 significant figures as the prompts quote it: 7.7, 3.0, 12, 120."""
    x = float(x)
    digits = 1 - math.floor(math.log10(abs(x))) if x else 1
    return f"{round(x, digits):.{max(digits, 0)}f}"


# ------------------------------------------------------------------------------- Part 1


def part1_numbers(t: Track) -> dict:
    """The deciding numbers of Part 1 at the track's default workload."""
    p = track_profile(t)
    lin, other = p.layer(t.linear_layer), p.layer(t.conv_layer)
    n = lin.count
    ops = {l.name: l.op for l in track_layers(t)}
    weights_only = float(lin.flops) / float(lin.bytes.weights)
    return {"linear_intensity": float(lin.intensity), "other_intensity": float(other.intensity),
            "linear_weights_only_intensity": weights_only, "ridge": float(lin.ridge),
            "linear_reuse": float(reuse(ops[t.linear_layer])),
            "other_reuse": float(reuse(ops[t.conv_layer])),
            "unit": t.work_unit,
            "linear_flops": float(lin.flops) / n, "linear_bytes": float(lin.bytes.total) / n,
            "bytes_per_element": get_dtype(t.dtype).bytes}


def reuse(op) -> float:
    """Times each weight is used per pass: a Linear's rows M; a conv's N.H_out.W_out; 0 if none."""
    if isinstance(op, Gemm):
        return op.m if op.weight_operand else 0
    if isinstance(op, Conv2d):
        return op.batch * op.out_height * op.out_width
    return 0


def part1_answer(t: Track, nums: dict) -> str:
    a, b = nums["linear_intensity"], nums["other_intensity"]
    lin, other, same = _part1_choices(t)
    if max(a, b) / min(a, b) < SAME_FACTOR:
        return same
    return lin if a < b else other


def grade_number(number, nums: dict) -> bool:
    """Within 15 % of the all-operands or the weights-only intensity of the Linear layer."""
    if number is None:
        return False
    try:
        x = float(number)
    except (TypeError, ValueError):
        return False
    refs = (nums["linear_intensity"], nums["linear_weights_only_intensity"])
    return any(abs(x - r) <= NUMBER_TOLERANCE * r for r in refs)


def _reveal1(t: Track, choice, number) -> Reveal:
    nums = part1_numbers(t)
    answer = part1_answer(t, nums)
    ok_choice, ok_number = choice == answer, grade_number(number, nums)
    text = _explain1(t, nums, answer)
    computed = {"choice": answer, "number": nums["linear_intensity"],
                "number_weights_only": nums["linear_weights_only_intensity"],
                "tolerance": NUMBER_TOLERANCE, "choice_correct": ok_choice,
                "number_correct": ok_number}
    return Reveal(ok_choice and ok_number, {"choice": choice, "number": number}, computed, text, nums)


def _explain1(t: Track, n: dict, answer: str) -> str:
    other = ROLE_WORDS[t.conv_role]["reveal"].format(t=t)
    u = n["unit"]
    s = (f"{t.linear_layer} moves {_b(n['linear_bytes'])} for {format_si(n['linear_flops'], u)}: "
         f"intensity {_f(n['linear_intensity'])} {u}/B (weights-only convention "
         f"{_f(n['linear_weights_only_intensity'])}), against {_f(n['other_intensity'])} for "
         f"{other}; {t.hardware} in {t.dtype}: {_ridge(t, n['ridge'])}. ")
    s += (f"Each weight of {t.linear_layer} is used {_f(n['linear_reuse'])} time{'s' * (n['linear_reuse'] != 1)} per pass "
          f"(once per row of the batch), so it does about 2 x {_f(n['linear_reuse'])} / "
          f"{_f(n['bytes_per_element'])} {u}s per weight byte. ")
    return s + _WHY1[t.conv_role](t, n) + _both_below(n) + f"Answer: {answer}."


def _both_below(n: dict) -> str:
    """Where both layers are memory-bound, say so: the question is which hits the wall hardest."""
    a, b, r = n["linear_intensity"], n["other_intensity"], n["ridge"]
    if max(a, b) >= r:
        return ""
    return (f"Both sit below the ridge, so both are memory-bound; the one further below it "
            f"({_f(min(a, b))} vs {_f(max(a, b))}) hits the wall hardest. ")


def _why1_attention(t: Track, n: dict) -> str:
    return ("Decode attention has no weights at all: it reads the KV cache once per new token, "
            "so its intensity stays near 2(H/H_kv)/bytes whatever the batch. A convolution is "
            f"a Linear whose weights slide over every pixel; the same {t.linear_layer} applied to "
            "a whole prompt (prefill) reuses each weight at every token, exactly like a 1x1 conv, "
            "and is compute-bound. ")


def _why1_conv(t: Track, n: dict) -> str:
    s = (f"A conv reuses each weight at every output position: {_f(n['other_reuse'])} times "
         f"per pass for {t.conv_layer}. ")
    if n["other_reuse"] <= n["linear_reuse"]:
        s += ("Streaming one new frame leaves the conv a single position to slide over, so it "
              "gets no more reuse than the Linear layer. ")
    return s


#: Track.conv_role -> why Part 1's comparison layer reuses its weights as it does.
_WHY1 = {"conv": _why1_conv, "attention": _why1_attention}


# ------------------------------------------------------------------------------- Part 2


def part2_numbers(t: Track) -> dict:
    """Intensity, FLOPs and bytes of the scaling layer at x and 2x (x = the slider default)."""
    x = t.sliders[t.scale_param][2]
    a = track_profile(t, scale=x).layer(t.scaling_layer_name)
    b = track_profile(t, scale=2 * x).layer(t.scaling_layer_name)
    return {"value": x, "doubled": 2 * x, "intensity": float(a.intensity),
            "intensity_doubled": float(b.intensity),
            "ratio": float(b.intensity) / float(a.intensity),
            "flops_growth": float(b.flops) / float(a.flops),
            "bytes_growth": float(b.bytes.total) / float(a.bytes.total), "ridge": float(a.ridge)}


def _reveal2(t: Track, choice, number) -> Reveal:
    n = part2_numbers(t)
    answer = trend(n["ratio"])
    text = (f"Doubling the {t.scale_label.split(' (')[0].lower()} from {n['value']:,} to {n['doubled']:,} multiplies "
            f"{t.scaling_layer_name}'s FLOPs by {_f(n['flops_growth'])} and its bytes by "
            f"{_f(n['bytes_growth'])}, so its intensity goes from {_f(n['intensity'])} to "
            f"{_f(n['intensity_doubled'])} {t.work_unit}/B (x{_f(n['ratio'])}; {_ridge(t, n['ridge'])}). "
            + _WHY2[t.scale_param] + f"Answer: {answer}.")
    return Reveal(choice == answer, {"choice": choice}, {"choice": answer, "ratio": n["ratio"]},
                  text, n)


#: Track.scale_param -> why doubling it moves the scaling layer's intensity as it does.
_WHY2 = {
    "seq-len": ("In decode each new token reads every cached K and V once: work and traffic both "
                "grow linearly with the context, so the ratio is pinned near 2(H/H_kv)/bytes. "),
    "resolution": ("A conv's weights are fixed; more pixels add work and activation traffic "
                   "together, and extra pixels reuse the same weights more. "),
    "frames": ("Each extra frame reuses the same weights (read once per inference), so the work "
               "grows faster than the traffic - until activations dominate. "),
}


# ------------------------------------------------------------------------------- Part 3


def _reveal3(t: Track, choice, number) -> Reveal:
    n = part3_numbers(t)
    answer = trend(n["ratio"])
    text = PART3[t.part3_swap][1](t, n) + f"Answer: {answer}."
    return Reveal(choice == answer, {"choice": choice}, {"choice": answer, "ratio": n["ratio"]},
                  text, n)


def _explain_dw(t: Track, n: dict) -> str:
    return (f"For {n['description']}: depthwise-separable cuts FLOPs {_f(n['flops_cut'])}x "
            f"({format_si(n['standard_flops'], t.work_unit)} -> {format_si(n['separable_flops'], t.work_unit)}) "
            f"while bytes go from {_b(n['standard_bytes'])} to {_b(n['separable_bytes'])}, so "
            "intensity goes from "
            f"{_f(n['standard_intensity'])} to {_f(n['separable_intensity'])} {t.work_unit}/B "
            f"(the depthwise half alone: {_f(n['depthwise_intensity'])}; {_ridge(t, n['ridge'])}). "
            + _why3(trend(n["ratio"])))


def _ridge(t: Track, value: float) -> str:
    """The ridge a reveal quotes, named: a level's, or a byte mix's effective one (story.py)."""
    return ridge_words(value, t.hardware, t.dtype)


def _side(x: float, ridge: float) -> str:
    return "below the ridge (memory-bound)" if x < ridge else "above the ridge (compute-bound)"


def _explain_flash(t: Track, n: dict) -> str:
    return (f"For {n['description']} on {t.hardware} in {t.dtype}: both kernels do "
            f"{format_si(n['flops'], 'FLOP')}. Standard attention writes the T x T scores and their softmax "
            f"and reads them back: {_b(n['scores_bytes'])} of its {_b(n['standard_bytes'])}. "
            f"FlashAttention keeps them on chip and moves only Q, K, V and O "
            f"({_b(n['flash_bytes'])}), so intensity goes from {_f(n['standard_intensity'])} to "
            f"{_f(n['flash_intensity'])} FLOP/B (x{_f(n['ratio'])}): from "
            f"{_side(n['standard_intensity'], n['ridge'])} to "
            f"{_side(n['flash_intensity'], n['ridge'])}, {_ridge(t, n['ridge'])}. The same work with "
            f"{_b(n['scores_bytes'])} fewer: the swap changes the bytes, not the math. ")


def _why3(answer: str) -> str:
    if answer == TREND[1]:
        return ("The depthwise conv has K^2 weights per channel and no reuse across channels, and "
                "the intermediate tensor is written and read again: the arithmetic saved does not "
                "take the traffic with it. ")
    if answer == TREND[2]:
        return ("With one new frame every weight is read once per pass either way, so both forms "
                "sit at ~2 ops per weight byte: cutting weights cuts bytes as much as work. ")
    return "Here the separable form saves more traffic than work. "


#: Track.part3_swap -> (its Part 3 prompt, its reveal's explanation), from part3_numbers.
PART3 = {"depthwise": (_prompt3_dw, _explain_dw), "flash": (_prompt3_flash, _explain_flash)}
