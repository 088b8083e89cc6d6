"""The layer suite: real kernels on this machine, each paired with the engine's operator.

GEMMs from GEMV (M = 1) to square (y = x W, docs/formulas.md §2), convolutions standard,
depthwise and pointwise (§3, torch's conv2d), attention decode and prefill at several lengths
(torch's scaled_dot_product_attention, a FlashAttention-style kernel on CPU and GPU). Without
torch only the GEMMs run (through numpy), and the report says which layers were skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..ops import Attention, Conv2d, Gemm
from .probes import Backend

TORCH_DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


@dataclass(frozen=True)
class Spec:
    """One suite layer: a name, the engine's operator and what it needs to run."""

    name: str
    op: object
    needs_torch: bool = False

    @property
    def kind(self) -> str:
        return self.op.kind


def _gemms(quick: bool) -> list[Spec]:
    wide = (1, 16, 128) if quick else (1, 4, 16, 64, 256)
    out = [Spec(f"gemm M={m} N=K=4096", Gemm(m, 4096, 4096)) for m in wide]
    for n in (1024,) if quick else (512, 1024, 2048):
        out.append(Spec(f"gemm square {n}", Gemm(n, n, n)))
    return out


def _convs(quick: bool) -> list[Spec]:
    out = [Spec("conv 3x3 64->64 @56", Conv2d(1, 64, 64, 56, 56, 3, 3, 1, 1, 1, 1), True),
           Spec("depthwise 3x3 256 @56", Conv2d(1, 256, 256, 56, 56, 3, 3, 1, 1, 1, 256), True),
           Spec("pointwise 1x1 256->256 @56", Conv2d(1, 256, 256, 56, 56, 1, 1, 1, 0, 1, 1), True)]
    if not quick:
        out += [Spec("stem 7x7/2 3->64 @224", Conv2d(1, 3, 64, 224, 224, 7, 7, 2, 3, 1, 1), True),
                Spec("depthwise 3x3/2 512 @28", Conv2d(1, 512, 512, 28, 28, 3, 3, 2, 1, 1, 512), True)]
    return out


def _attention(quick: bool) -> list[Spec]:
    decode = (1024, 16384) if quick else (1024, 4096, 16384, 32768)
    prefill = (256, 1024) if quick else (256, 512, 1024, 2048)
    out = [Spec(f"attention decode T={t}", Attention(1, 8, 8, 128, t, "decode", True, False), True)
           for t in decode]
    out += [Spec(f"attention prefill T={t}", Attention(1, 8, 8, 128, t, "prefill", True, True), True)
            for t in prefill]
    return out


def suite(quick: bool, torch_available: bool) -> tuple[list[Spec], list[Spec]]:
    """(layers to run, layers skipped for want of torch)."""
    specs = _gemms(quick) + _convs(quick) + _attention(quick)
    run = [s for s in specs if torch_available or not s.needs_torch]
    return run, [s for s in specs if s not in run]


def kernel(spec: Spec, backend: Backend, dtype: str) -> Callable[[], object]:
    """A callable running the layer once on ``backend`` at ``dtype``."""
    op = spec.op
    if isinstance(op, Gemm):
        return _gemm(op, backend, dtype)
    import torch
    import torch.nn.functional as F
    t, dev = getattr(torch, TORCH_DTYPES[dtype]), backend.device
    rand = lambda *shape: torch.randn(*shape, device=dev).to(t)
    if isinstance(op, Conv2d):
        x = rand(op.batch, op.in_channels, op.height, op.width)
        w = rand(op.out_channels, op.in_channels // op.groups, op.kernel_h, op.kernel_w)
        return lambda: F.conv2d(x, w, None, op.stride, op.padding, op.dilation, op.groups)
    q_len = op.seq_len if op.phase == "prefill" else 1
    q = rand(op.batch, op.heads, q_len, op.head_dim)
    k, v = (rand(op.batch, op.kv_heads, op.seq_len, op.head_dim) for _ in range(2))
    causal = op.causal and op.phase == "prefill"
    return lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal)


def _gemm(op: Gemm, backend: Backend, dtype: str) -> Callable[[], object]:
    """y[M,N] = x[M,K] W[K,N]."""
    if backend.name == "torch":
        import torch
        t = getattr(torch, TORCH_DTYPES[dtype])
        x = torch.randn(op.m, op.k, device=backend.device).to(t)
        w = torch.randn(op.k, op.n, device=backend.device).to(t)
        return lambda: torch.matmul(x, w)
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.random((op.m, op.k), dtype=np.float32)
    w = rng.random((op.k, op.n), dtype=np.float32)
    return lambda: x @ w
