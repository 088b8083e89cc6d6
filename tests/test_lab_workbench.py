"""Lab workbench: profiler cards, trajectories, the 5-probe game, roofline and math peek
agree with the engine and with the closed forms (DATA.md D.1-D.4)."""

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ridgeline import get_hardware
from ridgeline.energy import op_energy
from ridgeline.errors import RidgelineError
from ridgeline.lab import workbench as wb
from ridgeline.lab.tracks import TRACKS, track_profile

AVAILABLE = list(TRACKS.values())  # every track's recipe is registered (test_lab_tracks)
ids = lambda t: t.key

# Llama-3-70B (S9): d 8192, FFN 28672, 64 q heads, 8 kv heads, head dim 128
D, FFN = 8192, 28_672


def test_cloud_gate_proj_card_matches_the_gemm_arithmetic():
    b = 4
    c = wb.layer_card("cloud", "gate_proj", batch=b)
    hw = get_hardware("h100-sxm")
    assert c["macs"] == b * D * FFN                      # M.N.K, one copy of 80
    assert c["flops"] == 2 * c["macs"]
    # fp8, 1 byte: inputs B.K, weights K.N, outputs B.N
    assert c["bytes"]["inputs"] == b * D
    assert c["bytes"]["weights"] == D * FFN
    assert c["bytes"]["outputs"] == b * FFN
    assert c["bytes"]["kv_cache"] == 0
    assert c["intensity"] == pytest.approx(2 * b * FFN * D / (b * D + D * FFN + b * FFN))
    assert c["ridge"] == pytest.approx(1978.9e12 / 3.35e12)
    assert c["bound"] == "memory" and c["gauge_fraction"] == pytest.approx(c["intensity"] / c["ridge"])
    # log dial: 1 + log10(7.99 / 590.7) / 3 = 0.377
    assert c["gauge_log_fraction"] == pytest.approx(1 + math.log10(c["intensity"] / c["ridge"]) / 3)
    assert c["time_s"] == pytest.approx(max(c["flops"] / 1978.9e12, c["bytes"]["total"] / 3.35e12))
    # E = F.e_op(H100, fp8) + B.e_HBM + P_static.t
    assert c["energy_j"] == pytest.approx(c["flops"] * op_energy(hw, "fp8").value
                                          + c["bytes"]["total"] * hw.memory.energy_per_byte.value
                                          + hw.static_w.value * c["time_s"])
    assert c["weight_reuse"] == b                        # each weight used once per row
    assert c["flops_per_weight_byte"] == 2 * b           # 2.B FLOP per 1-byte weight
    assert c["count"] == 80


def test_cloud_comparison_shows_reuse_and_the_conv_equivalent():
    cmp = wb.compare_linear_conv("cloud", batch=2)
    lin, attn, conv_eq = cmp["rows"]
    assert attn["weight_reuse"] is None and attn["bytes"]["kv_cache"] > 0
    assert conv_eq["weight_reuse"] == 2 * 8192           # B.T positions reuse each weight
    assert conv_eq["bound"] == "compute" and lin["bound"] == "memory"
    # batch 2: gate_proj ~4 FLOP/B < decode attention ~14: the Linear is the worse one
    assert cmp["more_memory_bound"] == "gate_proj"
    assert wb.compare_linear_conv("cloud", batch=64)["more_memory_bound"] == "attention"


def test_cloud_trajectory_attention_stays_while_kv_breaks_capacity():
    tj = wb.trajectory("cloud", batch=4)
    attn = [r["intensity"] for r in tj["rows"] if r["layer"] == "attention" and r["value"] >= 1024]
    assert max(attn) / min(attn) < 1.01
    gate = {r["intensity"] for r in tj["rows"] if r["layer"] == "gate_proj"}
    assert max(gate) == pytest.approx(min(gate))         # decode FFN ignores context length
    # KV (fp8) per token = 2.80.8.128 B = 163,840 B; 4 streams; room = 80 GB - 70.55 GB weights
    room = 80e9 - 70_553_706_496
    first = tj["breaks"]["first_unfit"]
    assert 4 * 163_840 * first > room - 1e8              # activations are ~1e5 B
    below = [v for v in tj["values"] if v < first][-1]
    assert track_profile("cloud", batch=4, scale=int(below)).capacity.fits
    assert not track_profile("cloud", batch=4, scale=int(first)).capacity.fits
    growth = [g for g in tj["growth"] if g["layer"] == "attention" and g["value"] == tj["values"][-1]]
    flops_g, bytes_g = sorted(g["ratio"] for g in growth)
    assert flops_g == pytest.approx(bytes_g, rel=0.1)    # both ~linear in T (q, o fixed)


@pytest.mark.parametrize("track", AVAILABLE, ids=ids)
def test_trajectory_rows_agree_with_the_profile(track):
    tj = wb.trajectory(track)
    for r in tj["rows"][:: max(1, len(tj["rows"]) // 7)]:
        kw = {"scale": int(r["value"])} if tj["param"] == track.scale_param else {"batch": int(r["value"])}
        e = track_profile(track, **kw).layer(r["layer"])
        assert r["intensity"] == pytest.approx(float(e.intensity), rel=1e-9)
        assert r["bound"] == e.bound
    assert tj["current"]["value"] == track.sliders[track.scale_param][2]


def test_probe_game_is_immutable_and_stops_at_five():
    g0 = wb.new_game("cloud")
    g = g0
    for v in (16, 128, 256, 512, 1024):
        g = g.probe(v)
    assert g0.used == 0 and g.used == 5 and g.done and g.remaining == 0
    with pytest.raises(RidgelineError, match="all 5 probes"):
        g.probe(300)
    with pytest.raises(RidgelineError, match="outside"):
        g0.probe(10**6)
    for bad in ("ten", float("nan"), None):
        with pytest.raises(RidgelineError, match="whole number"):
            g0.probe(bad)
    with pytest.raises(RidgelineError, match="no slider"):
        wb.new_game("cloud", param="frames")
    # answers are the engine's bound at each probed batch
    for v, answer in g.probes:
        assert answer == track_profile("cloud", batch=v).layer("gate_proj").bound
    assert g.bracket == (256, 512)
    # closed form (sweep.gemm_crossover_m): M* = R.s.K.N / (2NK - R.s.(K+N)), s = 1 (fp8)
    r = 1978.9e12 / 3.35e12
    m_star = r * D * FFN / (2 * FFN * D - r * (D + FFN))  # = 309.7
    rev = g.reveal()
    assert rev["crossover"] == pytest.approx(m_star)
    assert rev["bracket_contains"] and rev["in_range"]
    assert rev["text"].startswith("Crossover")


def test_probe_game_says_never_crosses_for_decode_attention():
    g = wb.new_game("cloud", layer="attention", param="seq-len")
    for v in (128, 1024, 8192, 65536, 131072):
        g = g.probe(v)
    assert {a for _, a in g.probes} == {"memory"}
    assert g.bracket == (131072, None)
    rev = g.reveal()
    assert rev["crossover"] is None and rev["text"] == "never crosses"


@pytest.mark.parametrize("key", ["cloud", "edge"])
def test_trajectory_hides_the_probe_layers_curve_until_the_fifth_probe(key):
    from ridgeline.lab import charts
    track = TRACKS[key]
    traj = wb.trajectory(track)
    g = wb.new_game(track)
    for k in range(5):
        shown = wb.gate_trajectory(traj, g)
        assert g.layer not in {r["layer"] for r in shown["rows"]}
        assert g.layer not in {p["layer"] for p in shown["current"]["points"]}
        others = [r for r in traj["rows"] if r["layer"] != g.layer]
        assert shown["rows"] == others and others and shown["ridge"] == traj["ridge"]
        assert "after your 5 probes" in shown["note"]
        if g.param == traj["param"]:  # edge: the probed points, the engine's at each value
            assert [(p["value"], p["bound"]) for p in shown["probed"]] == list(g.probes)
            for p in shown["probed"]:
                e = track_profile(track, scale=int(p["value"])).layer(g.layer)
                assert p["intensity"] == pytest.approx(float(e.intensity))
        else:  # cloud: probed along batch, plotted along seq-len - nowhere to put them
            assert shown["probed"] == [] and "along Batch, not this axis" in shown["note"]
        layers = charts.trajectory_chart(shown, track.scale_label).layers
        assert all(ly["data"]["values"] for ly in layers)  # no empty layer
        g = g.probe(g.lo + k * (g.hi - g.lo) // 4)
    assert wb.gate_trajectory(traj, g) is traj  # after the fifth: the whole curve


@pytest.mark.parametrize("track", AVAILABLE, ids=ids)
def test_roofline_points_sit_under_the_roof(track):
    r = wb.roofline(track)
    prof = track_profile(track)
    store = get_hardware(track.hardware).weight_store
    store_bw, below = (store.bandwidth.value if store else None), 0
    assert r["ridge"] == pytest.approx(r["peak"] / r["bandwidth"])
    for p in r["points"]:
        roof = min(r["peak"], r["bandwidth"] * p["intensity"])
        assert p["attainable"] <= roof * (1 + 1e-9)
        e = prof.layer(p["layer"])
        if e.weights_in == "memory":
            # time = max(F/peak, B/BW): the point sits ON the roof, memory-bound iff I < peak/BW
            assert p["attainable"] == pytest.approx(roof)
            assert (p["bound"] == "memory") == (p["intensity"] < r["ridge"])
        else:
            # weights streamed from the slower store (tiny: Ethos-U55 flash 0.5 GB/s vs SRAM
            # 4 GB/s): t_mem = B_act/BW + B_w/BW_store, attainable = F / max(F/peak, t_mem)
            t_mem = e.bytes.activations / r["bandwidth"] + e.bytes.weights / store_bw
            t_compute = float(e.flops) / r["peak"]
            assert p["attainable"] == pytest.approx(float(e.flops) / max(t_compute, t_mem))
            assert (p["bound"] == "memory") == (t_mem > t_compute)
            below += bool(e.bytes.weights)  # a layer with weights in flash sits below the roof
            assert (p["attainable"] < roof) == bool(e.bytes.weights)
    # Conv-TasNet's 5 M INT8 weights overflow the U55's 512 KB SRAM; the other tracks' fit
    assert bool(below) == (track.key == "tiny")
    for q in r["roof"]:
        assert q["attainable"] == pytest.approx(min(r["peak"], r["bandwidth"] * q["intensity"]))


def _last_number(latex: str) -> float:
    tail = latex.rsplit("=", 1)[1]
    m = re.match(r"\s*([0-9.]+)(?: \\times 10\^\{(-?\d+)\})?", tail)
    return float(m.group(1)) * 10 ** int(m.group(2) or 0)


@pytest.mark.parametrize("track", AVAILABLE, ids=ids)
def test_math_peek_numbers_are_the_engines(track):
    p = track_profile(track)
    peek = wb.math_peek(track)
    lin = p.layer(track.linear_layer)
    assert _last_number(peek["gemm"]) == pytest.approx(float(lin.intensity), rel=1e-3)
    placed = track_profile(track, memory_model="placed").layer(track.linear_layer)
    assert _last_number(peek["energy"].replace(r"\ \text{J}", "")) == pytest.approx(
        float(placed.energy_j) / placed.count, rel=1e-3)  # energy where the bytes live
    assert r"\frac{2MNK}{(MK + KN + MN)\cdot s}" in peek["gemm"]
    for name in [l for l in p.layer_groups if l in (track.conv_layer, "attention")]:
        form = peek["attention"] if name == "attention" else peek["conv"]
        assert _last_number(form) == pytest.approx(float(p.layer(name).intensity), rel=1e-3)


@settings(max_examples=15, deadline=None)
@given(batch=st.integers(1, 1024), seq=st.integers(128, 131_072))
def test_cloud_card_matches_trajectory_current_point(batch, seq):
    card = wb.layer_card("cloud", "attention", batch=batch, scale=seq)
    cur = wb.trajectory("cloud", batch=batch, scale=seq)["current"]
    point = next(p for p in cur["points"] if p["layer"] == "attention")
    assert point["intensity"] == pytest.approx(card["intensity"])
    assert card["bound"] == "memory"                     # decode attention never reaches 591


@pytest.mark.parametrize("track", AVAILABLE, ids=ids)
def test_trajectory_equals_sweep_evaluate(track):
    """The one-build trajectory agrees with ridgeline.sweeping.evaluate layer by layer."""
    from ridgeline.lab.tracks import workload_kwargs
    from ridgeline.sweeping import evaluate

    tj = wb.trajectory(track)
    fixed = workload_kwargs(track)
    fixed.pop({"seq-len": "seq_len", "resolution": "resolution", "frames": "frames"}[tj["param"]])
    if tj["param"] == "resolution":
        fixed["resolution"] = workload_kwargs(track)["resolution"]
    layer = track.trajectory_layers[0]
    ref = evaluate(track.model, tj["param"], tj["values"], layer=layer, hardware=track.hardware,
                   dtype=track.dtype, memory_model="compulsory", **fixed)
    got = [r["intensity"] for r in tj["rows"] if r["layer"] == layer]
    assert got == pytest.approx(list(ref.estimate.intensity), rel=1e-12)


@pytest.mark.parametrize("module", ["tracks", "questions", "workbench", "challenge"])
def test_logic_modules_import_no_ui_stack(module):
    import ast
    import pathlib

    from ridgeline import lab

    src = (pathlib.Path(lab.__file__).parent / f"{module}.py").read_text()
    names = {a.name.split(".")[0] for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(ast.parse(src))
              if isinstance(n, ast.ImportFrom) and n.module and n.level == 0}
    assert not names & {"marimo", "altair", "pandas", "torch", "onnx"}


@pytest.mark.parametrize("key", ["cloud", "edge", "mobile", "tiny"])
def test_design_roofline_places_the_designs_own_layers(key):
    # Part 3's roofline: the design's layers at the design's precision, on the track's device
    import numpy as np

    from ridgeline.lab.challenge import design_layers, enumerate_designs, starting_design

    t = TRACKS[key]
    passing = next(d for d in enumerate_designs(t) if d.passes)
    for choices in (starting_design(t), passing.choices):
        layers, dtype, _ = design_layers(t, choices)
        data = wb.design_roofline(t, choices)
        hw = get_hardware(t.hardware)
        assert data["ridge"] == pytest.approx(hw.peak(dtype) / hw.bandwidth)
        named = {l.name for l in layers if float(np.max(l.op.flops())) > 0}
        assert {p["layer"] for p in data["points"]} == named
        for p in data["points"]:  # every layer sits on or under the roof
            assert p["attainable"] <= min(hw.peak(dtype), hw.bandwidth * p["intensity"]) * (1 + 1e-9)
