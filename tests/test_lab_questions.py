"""Lab locks: every reveal's answer is recomputed here independently from the engine (or
from closed forms), and the numbers its explanation quotes are checked against it."""

import pytest

from ridgeline.dtypes import get_dtype
from ridgeline.errors import RidgelineError
from ridgeline.lab import questions as Q
from ridgeline.lab.cards import track_layers
from ridgeline.lab.tracks import TRACKS, track_profile, workload_kwargs
from ridgeline.lab.views import REFLECT_PROMPTS
from ridgeline.ops import Attention
from ridgeline.recipes import get_model
from ridgeline.roofline import estimate

AVAILABLE = list(TRACKS.values())  # every track's recipe is registered (test_lab_tracks)
CONV_TRACKS = [t for t in AVAILABLE if t.key != "cloud"]  # Cloud's Part 3 is FlashAttention
ids = lambda t: t.key


def quoted(x: float) -> str:
    """How the explanations quote a number: 3 significant figures, thousands grouped, an SI
    prefix from a million up (never '3.59e+03'); whole numbers as integers."""
    from ridgeline.format import format_ratio, format_si
    x = float(x)
    if abs(x) >= 1e6 or (x != 0 and abs(x) < 1e-2):
        return format_si(x, "").strip()
    return f"{int(x):,}" if x == int(x) else format_ratio(x)


def test_three_locks_per_track_with_the_contract_label():
    for t in TRACKS.values():
        qs = Q.questions(t)
        assert [q.part for q in qs] == [1, 2, 3]
        assert qs[0].numeric == f"Your intensity ({t.work_unit}/B)"  # op/B on int8 tracks
        assert qs[1].numeric is None and qs[2].numeric is None
        assert qs[1].choices == qs[2].choices == ("Rises", "Falls", "Stays about the same")
        assert t.linear_layer in qs[0].prompt


def test_reflections_use_the_seed_prompts():
    assert "weight reuse" in REFLECT_PROMPTS[1].lower()
    assert "ridge point" in REFLECT_PROMPTS[2]
    assert REFLECT_PROMPTS[3] == (
        "Defend your final operator mix. Did you sacrifice Arithmetic Intensity to save power? "
        "Explain the 'Conservation of Complexity' in your design.")


def test_bad_answers_raise():
    with pytest.raises(RidgelineError, match="part must be"):
        Q.reveal("cloud", 4, "Rises")
    with pytest.raises(RidgelineError, match="choice must be one of"):
        Q.reveal("cloud", 2, "Explodes")


# ----------------------------------------------------------------------------- Part 1


def test_cloud_part1_from_the_closed_forms():
    # fp8, batch 4, context 8192: gate_proj 2.B.N.K/(B.K + K.N + B.N) = 7.99;
    # decode attention 4.H.d.T / (2.H.d + 2.H_kv.T.d + 4.H.T) = 14.2 (scores written + read)
    b, k, n, h, hkv, d, t = 4, 8192, 28672, 64, 8, 128, 8192
    lin = 2 * b * n * k / (b * k + k * n + b * n)
    attn = 4 * b * h * d * t / (2 * b * h * d + 2 * b * hkv * t * d + 4 * b * h * t)
    r = Q.reveal("cloud", 1, "The Linear layer (gate_proj)", 8.0)
    assert r.numbers["linear_intensity"] == pytest.approx(lin)
    assert r.numbers["other_intensity"] == pytest.approx(attn)
    assert r.computed["choice"] == "The Linear layer (gate_proj)"    # 7.99 < 14.2 / 1.25
    assert r.correct and r.computed["number_correct"]
    assert f"intensity {quoted(lin)} FLOP/B" in r.explanation
    assert f"against {quoted(attn)} for decode attention" in r.explanation
    assert "used 4 times per pass" in r.explanation


@pytest.mark.parametrize("track", AVAILABLE, ids=ids)
def test_part1_prompt_gives_every_number_it_needs(track):
    op = {l.name: l.op for l in track_layers(track)}[track.linear_layer]
    batch = workload_kwargs(track)["batch"]
    s = get_dtype(track.dtype).bytes
    prompt = Q.questions(track)[0].prompt
    assert f"At batch {batch} (M = {op.m} row" in prompt
    assert f"M x K = {op.m} x {op.k}" in prompt and f"K x N = {op.k} x {op.n}" in prompt
    assert f"{s:g} byte" in prompt and f"in {track.work_unit}/B" in prompt
    assert prompt.splitlines()[-1].endswith("answers within 15 % of either convention count.")
    # the shape given is the one graded: 2MNK / s(MK + KN + MN (+ N bias))
    flops, elems = 2 * op.m * op.n * op.k, op.m * op.k + op.k * op.n + op.m * op.n
    elems += op.n if op.bias else 0
    assert Q.part1_numbers(track)["linear_intensity"] == pytest.approx(flops / (s * elems))


def test_cloud_part1_prompt_is_at_batch_4():
    assert "At batch 4 (M = 4 rows" in Q.questions("cloud")[0].prompt


@pytest.mark.parametrize("track", AVAILABLE, ids=ids)
def test_part1_answer_is_the_lower_intensity(track):
    p = track_profile(track)
    a = float(p.layer(track.linear_layer).intensity)
    b = float(p.layer(track.conv_layer).intensity)
    lin, other, same = Q.questions(track)[0].choices
    expect = same if max(a, b) / min(a, b) < 1.25 else (lin if a < b else other)
    for choice in (lin, other, same):
        r = Q.reveal(track, 1, choice, a)
        assert r.computed["choice"] == expect
        assert r.computed["choice_correct"] == (choice == expect)
        assert r.correct == (choice == expect)                   # the number a is exact
        assert f"intensity {quoted(a)}" in r.explanation and quoted(b) in r.explanation
        assert r.student == {"choice": choice, "number": a}


@pytest.mark.parametrize("track", AVAILABLE, ids=ids)
def test_part1_number_tolerance_is_15_percent_of_either_convention(track):
    lin, *_ = Q.questions(track)[0].choices
    r = Q.reveal(track, 1, lin, None)
    exact, weights_only = r.numbers["linear_intensity"], r.numbers["linear_weights_only_intensity"]
    lo, hi = sorted((exact, weights_only))
    grade = lambda x: Q.reveal(track, 1, lin, x).computed["number_correct"]
    assert grade(exact) and grade(weights_only)
    assert grade(hi * 1.14) and grade(lo * 0.86)
    assert not grade(hi * 1.16) and not grade(lo * 0.84)
    assert not grade(2 * hi) and not grade(lo / 2)               # FLOPs-vs-MACs slips fail
    assert not grade(None) and not grade("abc")


def test_tiny_part1_streaming_conv_has_no_more_reuse():
    r = Q.reveal("tiny", 1, "Both about equally", 2.0)
    # one frame: bottleneck M = 1 row; the encoder slides over one 16-sample window
    assert r.numbers["linear_reuse"] == 1 and r.numbers["other_reuse"] == 1
    assert r.computed["choice"] == "Both about equally" and r.correct
    assert "single position" in r.explanation


# ----------------------------------------------------------------------------- Part 2


@pytest.mark.parametrize("track", AVAILABLE, ids=ids)
def test_part2_answer_recomputed_from_two_profiles(track):
    x = track.sliders[track.scale_param][2]
    layer = track.scaling_layer_name
    a = track_profile(track, scale=x).layer(layer)
    b = track_profile(track, scale=2 * x).layer(layer)
    ratio = float(b.intensity / a.intensity)
    expect = "Rises" if ratio > 1.1 else "Falls" if ratio < 1 / 1.1 else "Stays about the same"
    r = Q.reveal(track, 2, expect)
    assert r.correct and r.computed["choice"] == expect
    assert r.numbers["ratio"] == pytest.approx(ratio)
    assert r.numbers["flops_growth"] == pytest.approx(float(b.flops / a.flops))
    assert r.numbers["bytes_growth"] == pytest.approx(float(b.bytes.total / a.bytes.total))
    assert f"from {quoted(a.intensity)} to {quoted(b.intensity)}" in r.explanation
    wrong = next(c for c in Q.TREND if c != expect)
    assert not Q.reveal(track, 2, wrong).correct


def test_part2_known_answers():
    assert Q.reveal("cloud", 2, "Stays about the same").correct     # decode attention: ~2(H/Hkv)/s
    assert Q.reveal("tiny", 2, "Rises").correct                     # 2nd frame reuses the weights
    assert Q.reveal("edge", 2, "Rises").correct                     # layer4 conv: more pixels per weight


# ----------------------------------------------------------------------------- Part 3


def test_cloud_part3_is_flash_attention_in_prefill():
    # Llama-3-70B: 64 query heads, 8 KV heads, d = 128; batch 4, T = 8192, 1-byte fp8.
    # Standard: Q, K, V read, O written, scores + softmax written and read (4.B.H.T^2);
    # Flash: Q, K, V, O only; the causal work 4.B.H.d.T(T+1)/2 is the same
    b, h, hkv, d, t = 4, 64, 8, 128, 8192
    flops = 4 * b * h * d * t * (t + 1) // 2
    qkvo = 2 * b * h * t * d + 2 * b * hkv * t * d
    q = Q.questions("cloud")[2]
    assert q.key == "p3-depthwise" and "FlashAttention" in q.prompt
    assert "never writes the T x T score matrix to memory" in q.prompt and "T = 8192" in q.prompt
    r = Q.reveal("cloud", 3, "Rises")
    assert r.numbers["standard_intensity"] == pytest.approx(flops / (qkvo + 4 * b * h * t * t))
    assert r.numbers["flash_intensity"] == pytest.approx(flops / qkvo)
    assert r.numbers["scores_bytes"] == 4 * b * h * t * t and r.numbers["flops_cut"] == 1
    assert r.correct and r.computed["choice"] == "Rises"
    assert r.numbers["standard_intensity"] < r.numbers["ridge"] < r.numbers["flash_intensity"]
    for x in ("standard_intensity", "flash_intensity", "scores_bytes", "ridge"):
        assert quoted(r.numbers[x]) in r.explanation
    assert not Q.reveal("cloud", 3, "Falls").correct


def test_cloud_part3_from_the_engines_attention_op():
    c, w = get_model("llama-3-70b").config, workload_kwargs(TRACKS["cloud"])
    ests = [estimate(Attention(w["batch"], c.n_heads, c.n_kv_heads, c.head_dim, w["seq_len"],
                               "prefill", flash=f), "h100-sxm", "fp8", "compulsory")
            for f in (False, True)]
    n = Q.part3_numbers(TRACKS["cloud"])
    assert n["ratio"] == pytest.approx(float(ests[1].intensity / ests[0].intensity))
    assert f"T = {w['seq_len']}" in Q.questions("cloud")[2].prompt


@pytest.mark.parametrize("track", CONV_TRACKS, ids=ids)
def test_part3_prompt_quotes_the_tracks_own_flop_cut(track):
    n, prompt = Q.part3_numbers(track), Q.questions(track)[2].prompt
    assert "~8x" not in prompt and n["description"] in prompt
    shown = prompt.split("cuts FLOPs ")[1].split("x")[0]
    assert float(shown) == float(f"{n['flops_cut']:.2g}")
    assert len(shown.replace(".", "").lstrip("0")) == 2               # 2 significant figures


def test_sig2():
    assert [Q.sig2(x) for x in (7.89, 2.98, 6.545, 12.3, 123)] == ["7.9", "3.0", "6.5", "12", "120"]


@pytest.mark.parametrize("track", CONV_TRACKS, ids=ids)
def test_part3_answer_recomputed(track):
    std, sep, _ = Q.dw_pair(track)
    a = estimate(std, track.hardware, track.dtype)
    flops = sum(o.flops() for o in sep)
    bytes_ = sum(float(estimate(o, track.hardware, track.dtype).bytes.total) for o in sep)
    ratio = (flops / bytes_) / float(a.intensity)
    expect = "Rises" if ratio > 1.1 else "Falls" if ratio < 1 / 1.1 else "Stays about the same"
    r = Q.reveal(track, 3, expect)
    assert r.correct and r.numbers["ratio"] == pytest.approx(ratio)
    assert r.numbers["flops_cut"] == pytest.approx(std.flops() / flops)
    assert f"{quoted(a.intensity)} to {quoted(flops / bytes_)}" in r.explanation


def test_part3_known_answers():
    assert Q.reveal("mobile", 3, "Falls").correct and Q.reveal("edge", 3, "Falls").correct
    # depthwise 3x3 stride 1 in 1-byte int8: 2.K^2/(S^2 + 1) ~ 9 op/B (DATA.md D.3)
    r = Q.reveal("edge", 3, "Falls")
    assert r.numbers["depthwise_intensity"] == pytest.approx(9, rel=0.01)
    assert f"cuts FLOPs {quoted(r.numbers['flops_cut'])}x" in r.explanation
    # one streaming frame: every weight read once either way -> ~2 op/B both
    r = Q.reveal("tiny", 3, "Stays about the same")
    assert r.correct and r.numbers["standard_intensity"] == pytest.approx(2, rel=0.02)


def test_part1_prompt_gives_the_compared_layers_shape_too():
    """Both halves of Part 1 can be worked out from the prompt: the conv's kernel, stride,
    channels and positions (or decode attention's cache), from the engine's own op."""
    from ridgeline.lab.cards import track_layers
    from ridgeline.ops import Conv2d
    for t in TRACKS.values():
        op = {l.name: l.op for l in track_layers(t)}[t.conv_layer]
        p = Q.questions(t)[0].prompt
        if isinstance(op, Conv2d):
            assert f"{op.kernel_h}x{op.kernel_w} conv, stride {op.stride}" in p
            assert f"{op.in_channels} -> {op.out_channels} channels" in p
            assert f"{op.out_width} x {op.out_height} output positions" in p
        else:
            assert f"{op.seq_len:,}-token KV cache of {op.kv_heads} KV heads" in p
