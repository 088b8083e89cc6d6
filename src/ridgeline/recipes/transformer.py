"""Llama-3 decoder recipes (Meta's reference implementation and params.json: S7, S8, S9)."""

from __future__ import annotations

from dataclasses import dataclass

from ..ops import Attention, Elementwise, Embedding, linear, norm
from . import register
from .base import Layer, Recipe, Workload


@dataclass(frozen=True)
class LlamaConfig:
    n_layers: int      # transformer blocks
    d_model: int       # hidden size
    n_heads: int       # query heads H
    n_kv_heads: int    # key/value heads H_kv (grouped-query attention)
    ffn_dim: int       # SwiGLU intermediate size
    vocab: int = 128_256

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads  # reference model.py: head_dim = dim / n_heads


LLAMA_3_70B = LlamaConfig(n_layers=80, d_model=8192, n_heads=64, n_kv_heads=8, ffn_dim=28_672)
LLAMA_3_8B = LlamaConfig(n_layers=32, d_model=4096, n_heads=32, n_kv_heads=8, ffn_dim=14_336)


def build_llama(cfg: LlamaConfig, w: Workload) -> list[Layer]:
    """Named layers of one forward step.

    Prefill processes B.T tokens (causal attention over T); decode processes B new tokens,
    each attending to a context of T cached tokens. The LM head is applied to every token
    processed (HF's default in prefill), so forward FLOPs ~ 2.N per token (Kaplan et al.).
    """
    tokens = w.batch * w.seq_len if w.phase == "prefill" else w.batch  # (B.T) or (B)
    d, hd, n = cfg.d_model, cfg.head_dim, cfg.n_layers
    q_dim, kv_dim = cfg.n_heads * hd, cfg.n_kv_heads * hd
    attn = Attention(w.batch, cfg.n_heads, cfg.n_kv_heads, hd, w.seq_len, w.phase, flash=w.flash)
    block = [
        ("attn_norm", norm("rmsnorm", tokens, d), "attention"),
        ("q_proj", linear(tokens, d, q_dim), "attention"),
        ("k_proj", linear(tokens, d, kv_dim), "attention"),
        ("v_proj", linear(tokens, d, kv_dim), "attention"),
        ("attention", attn, "attention"),
        ("o_proj", linear(tokens, q_dim, d), "attention"),
        ("attn_residual", Elementwise("add", tokens * d, reads=2), "attention"),
        ("ffn_norm", norm("rmsnorm", tokens, d), "ffn"),
        ("gate_proj", linear(tokens, d, cfg.ffn_dim), "ffn"),
        ("up_proj", linear(tokens, d, cfg.ffn_dim), "ffn"),
        ("swiglu", Elementwise("swiglu", tokens * cfg.ffn_dim, reads=2), "ffn"),
        ("down_proj", linear(tokens, cfg.ffn_dim, d), "ffn"),
        ("ffn_residual", Elementwise("add", tokens * d, reads=2), "ffn"),
    ]
    return [
        Layer("embed_tokens", Embedding(tokens, cfg.vocab, d), 1, "embedding"),
        *(Layer(name, op, n, group) for name, op, group in block),
        Layer("final_norm", norm("rmsnorm", tokens, d), 1, "head"),
        Layer("lm_head", linear(tokens, d, cfg.vocab), 1, "head"),
    ]


_CITE = "Meta Llama 3 params.json and reference model.py (S7, S8, S9)"
for key, title, cfg in (("llama-3-70b", "Llama-3-70B", LLAMA_3_70B),
                        ("llama-3-8b", "Llama-3-8B", LLAMA_3_8B)):
    register(Recipe(key=key, title=title, citation=_CITE, builder=build_llama, config=cfg,
                    params=("batch", "seq-len"),
                    default=Workload(batch=1, seq_len=8192, phase="decode")))
