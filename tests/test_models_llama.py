"""Llama-3 recipes against Meta's published configs (DATA.md C.1, C.2; S7, S8, S9)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ridgeline import crossover, estimate, profile, sweep
from ridgeline.ops import Attention, Embedding, Gemm
from ridgeline.recipes import get_model
from ridgeline.sweeping import gemm_crossover_m

H100_BF16_RIDGE = 989.4e12 / 3.35e12  # dense bf16 peak / HBM3 bandwidth (S1) = 295.3 FLOP/B


def params_of(key, **workload):
    recipe = get_model(key)
    return sum(l.op.params() * l.count for l in recipe.build(recipe.workload(**workload)))


# ---------------------------------------------------------------- parameter counts


def test_llama_3_70b_params_match_the_published_count():
    # embed + lm_head: 2 x 128,256 x 8192 = 2,101,346,304
    # per layer: attention 150,994,944 + MLP 704,643,072 + 2 RMSNorm x 8192 = 855,654,400
    # 80 layers = 68,452,352,000; + final norm 8192  ->  70,553,706,496 (DATA.md C.1)
    assert 2 * 128_256 * 8192 + 80 * (150_994_944 + 704_643_072 + 2 * 8192) + 8192 == 70_553_706_496
    assert params_of("llama-3-70b") == 70_553_706_496


def test_llama_3_8b_params_match_the_published_count():
    assert params_of("llama-3-8b") == 8_030_261_248  # DATA.md C.1 (untied embeddings)


@given(batch=st.integers(1, 512), seq_len=st.integers(1, 131_072),
       phase=st.sampled_from(["prefill", "decode"]))
@settings(max_examples=25, deadline=None)
def test_params_do_not_depend_on_the_workload(batch, seq_len, phase):
    assert params_of("llama-3-8b", batch=batch, seq_len=seq_len, phase=phase) == 8_030_261_248


def test_70b_per_layer_shapes():
    # Wq 8192x8192, Wk/Wv 8192x1024 (8 KV heads x 128), Wo 8192x8192 -> 150,994,944 (DATA.md C.1)
    layers = {l.name: l for l in get_model("llama-3-70b").build()}
    attn = sum(layers[n].op.params() for n in ("q_proj", "k_proj", "v_proj", "o_proj"))
    mlp = sum(layers[n].op.params() for n in ("gate_proj", "up_proj", "down_proj"))
    assert attn == 2 * 8192 * 8192 + 2 * 8192 * 1024 == 150_994_944
    assert mlp == 3 * 8192 * 28_672 == 704_643_072
    assert all(layers[n].count == 80 for n in ("q_proj", "attention", "down_proj"))


# ---------------------------------------------------------------- memory capacity


def test_70b_kv_cache_is_320_kib_per_token_in_bf16():
    # 2 (K and V) x 80 layers x 8 KV heads x 128 head dim x 2 bytes = 327,680 B (DATA.md C.1)
    one = profile("llama-3-70b", "h100-sxm", "bf16", batch=1, seq_len=1).capacity
    assert one.kv_cache_bytes == 2 * 80 * 8 * 128 * 2 == 327_680
    at_8k = profile("llama-3-70b", "h100-sxm", "bf16", batch=1, seq_len=8192).capacity
    assert at_8k.kv_cache_bytes == 8192 * 327_680  # 2.68 GB per 8k sequence (DATA.md C.1)


def test_8b_kv_cache_is_128_kib_per_token_in_bf16():
    cap = profile("llama-3-8b", "h100-sxm", "bf16", batch=1, seq_len=1).capacity
    assert cap.kv_cache_bytes == 2 * 32 * 8 * 128 * 2 == 131_072


def test_70b_bf16_weights_do_not_fit_one_h100():
    cap = profile("llama-3-70b", "h100-sxm", "bf16", batch=1, seq_len=8192).capacity
    assert cap.weights_bytes == 2 * 70_553_706_496  # 141.1 GB (DATA.md C.1)
    assert cap.memory_bytes == 80e9
    assert not cap.fits
    assert "does not fit" in cap.message()


def test_70b_fp8_weights_fit_one_h100_with_an_8k_context():
    # 70.6 GB of weights + 8192 x 163,840 B of fp8 KV (1.34 GB) < 80 GB (DATA.md C.1 note)
    cap = profile("llama-3-70b", "h100-sxm", "fp8", batch=1, seq_len=8192).capacity
    assert cap.weights_bytes == 70_553_706_496
    assert cap.kv_cache_bytes == 8192 * 327_680 / 2
    assert cap.fits
    assert cap.message().startswith("fits")


def test_fp8_stops_fitting_when_the_kv_cache_outgrows_the_headroom():
    # headroom ~ 80 - 70.55 = 9.4 GB; 64 sequences x 8k tokens x 163,840 B = 85.9 GB of KV
    cap = profile("llama-3-70b", "h100-sxm", "fp8", batch=64, seq_len=8192).capacity
    assert not cap.fits


# ---------------------------------------------------------------- FLOPs


def test_decode_forward_flops_are_about_2n_per_token():
    # Kaplan et al. (S39): C_forward ~ 2N + 2 n_layer n_ctx d_attn. Every weight but the
    # embedding table does one MAC per token; at context 1 attention is negligible.
    n = 70_553_706_496
    embed = 128_256 * 8192
    p = profile("llama-3-70b", "h100-sxm", "bf16", batch=1, seq_len=1, phase="decode")
    gemm_flops = sum(e.flops for e, l in zip(p.layers, get_model("llama-3-70b").build(p.workload))
                     if isinstance(l.op, Gemm))
    assert gemm_flops == 2 * (n - embed - (80 * 2 + 1) * 8192)  # norms hold no GEMM weights
    assert p.totals.flops == pytest.approx(2 * n, rel=0.02)      # embedding is 1.5 % of N


def test_decode_attention_flops_grow_4_l_h_d_per_context_token():
    # 4 . L . H . d_h . T = 4 x 80 x 64 x 128 = 2.62 MFLOP x T (DATA.md C.2)
    layers = {l.name: l for l in get_model("llama-3-70b").build(
        get_model("llama-3-70b").workload(batch=1, seq_len=8192, phase="decode"))}
    attn = layers["attention"]
    assert isinstance(attn.op, Attention)
    assert attn.op.flops() * attn.count == 4 * 80 * 64 * 128 * 8192  # 21.5 GFLOP at 8k


def test_decode_attention_intensity_is_stuck_at_2_h_over_hkv_over_bytes():
    # GQA 64 q / 8 kv heads in bf16: 4.H.d.T FLOPs over 2.H_kv.T.d.2 bytes of KV cache
    # = 2 . (64/8) / 2 = 8 FLOP/B whatever the batch (DATA.md D.4). FlashAttention moves
    # little else (Q, O); standard attention also writes and reads the score row
    # (4.H.T elements), so it sits at 8 x 2048 / (2048 + 256) = 7.1 when that row goes off
    # chip (compulsory). Flash decode reads K and V once in every memory model.
    for batch in (1, 16, 256):
        for model in ("compulsory", "placed", "tiled"):
            flash = profile("llama-3-70b", "h100-sxm", "bf16", model, batch=batch, seq_len=8192,
                            flash=True)
            assert flash.layer("attention").intensity == pytest.approx(8.0, rel=1e-3), model
        std = profile("llama-3-70b", "h100-sxm", "bf16", "compulsory", batch=batch, seq_len=8192)
        assert std.layer("attention").intensity == pytest.approx(8 * 2048 / 2304, rel=1e-3)
        assert std.layer("attention").bound == "memory"


def test_prefill_weight_gemm_intensity_grows_with_the_prompt():
    # weight GEMM AI ~ T FLOP/B in bf16 for T << d (DATA.md C.2): compute-bound at T = 2048
    p = profile("llama-3-70b", "h100-sxm", "bf16", batch=1, seq_len=2048, phase="prefill")
    e = p.layer("gate_proj")
    assert e.bound == "compute"
    assert e.intensity == pytest.approx(estimate(Gemm(2048, 28_672, 8192), "h100-sxm").intensity)


# ---------------------------------------------------------------- the crossover


def test_ffn_decode_crossover_on_h100_is_near_batch_310():
    # M* = R.s.K.N / (2NK - R.s.(K+N)) with R = 295.3, s = 2, K = 8192, N = 28,672
    #    = 590.7 x 234,881,024 / (469,762,048 - 590.7 x 36,864) = 309.7 rows = tokens = batch
    c = crossover("llama-3-70b", "gate_proj", "batch", hardware="h100-sxm", dtype="bf16",
                  memory_model="compulsory")
    expected = gemm_crossover_m(28_672, 8192, H100_BF16_RIDGE, 2)
    assert expected == pytest.approx(309.7, abs=0.1)
    assert c.crossover == pytest.approx(expected, rel=1e-9)
    assert c.first_compute_bound == 310
    assert c.direction == "memory->compute"


def test_the_crossover_is_where_the_sweep_flips():
    c = crossover("llama-3-70b", "gate_proj", "batch", hardware="h100-sxm", dtype="bf16")
    s = sweep("llama-3-70b", "batch", 300, 320, points=21, log=False, layer="gate_proj",
              hardware="h100-sxm", dtype="bf16")
    bound = dict(zip(s.values.tolist(), np.asarray(s.estimate.bound).tolist()))
    assert bound[c.first_compute_bound - 1] == "memory"
    assert bound[c.first_compute_bound] == "compute"


def test_embedding_moves_rows_but_holds_the_table():
    layers = {l.name: l for l in get_model("llama-3-8b").build()}
    emb = layers["embed_tokens"].op
    assert isinstance(emb, Embedding)
    assert emb.params() == 128_256 * 4096
    assert emb.traffic().weights == 1 * 4096  # decode batch 1: one row gathered
