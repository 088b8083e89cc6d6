"""The probes: STREAM-style bandwidth per memory level, and peak compute from large GEMMs.

Bandwidth (McCalpin's STREAM, S94): copy b = a moves 2 n s bytes, triad a = b + q c moves
3 n s bytes (n elements of s bytes, write-allocate traffic not counted, as STREAM counts).
numpy has no fused triad, so without torch it runs as two passes (a = q c; a += b) and counts
the 5 n s bytes those passes move. A level's bandwidth is the better of copy and triad, each
at its fastest trial (STREAM's "best rate": a roof is an upper bound, and on a shared machine
the median mixes other people's load into it), with the arrays sized to half the level's
capacity (DRAM: 8x the last-level cache, at least 64 MB).

Peak compute: C = A B on n x n operands, 2 n^3 FLOPs (docs/formulas.md §2); the size grows
until one call takes ``budget_s``, and the best FLOP/s over sizes and trials is the peak.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .timing import Plan, time_kernel

ELEMENT = 4  # float32 arrays for the bandwidth probes


@dataclass(frozen=True)
class Backend:
    """Where kernels run: numpy on the CPU, or torch on ``device`` ('cpu' or 'cuda')."""

    name: str             # "numpy" | "torch"
    device: str = "cpu"

    def sync(self) -> Callable[[], None] | None:
        if self.name == "torch" and self.device == "cuda":
            import torch
            return torch.cuda.synchronize
        return None


def stream_kernels(backend: Backend, n: int):
    """(copy, copy_bytes, triad, triad_bytes) for float32 arrays of ``n`` elements."""
    if backend.name == "torch":
        import torch
        a, b, c = (torch.ones(n, dtype=torch.float32, device=backend.device) for _ in range(3))
        return (lambda: b.copy_(a)), 2 * n * ELEMENT, \
            (lambda: torch.add(b, c, alpha=3.0, out=a)), 3 * n * ELEMENT
    import numpy as np
    a, b, c = (np.ones(n, dtype=np.float32) for _ in range(3))

    def triad():
        np.multiply(c, np.float32(3.0), out=a)
        np.add(a, b, out=a)
    return (lambda: np.copyto(b, a)), 2 * n * ELEMENT, triad, 5 * n * ELEMENT


def level_sizes(caches: list[dict], quick: bool) -> list[tuple[str, int, float, bool]]:
    """(level name, bytes of all arrays, capacity, assumed) per cache level and for DRAM."""
    out = [(c["name"], max(int(c["capacity"]) // 2, 3 * 1024), float(c["capacity"]), c["assumed"])
           for c in caches]
    llc = max((c["capacity"] for c in caches), default=16 * 1024 * 1024)
    far = max(8 * llc, 64 * 1024 * 1024) // (2 if quick else 1)
    out.append(("DRAM", int(far), 0.0, False))
    return out


def measure_level(backend: Backend, name: str, total_bytes: int, plan: Plan) -> dict:
    """Copy and triad on three arrays sharing ``total_bytes``; bandwidth = the better of two."""
    n = max(total_bytes // (3 * ELEMENT), 256)
    copy, copy_b, triad, triad_b = stream_kernels(backend, n)
    tc = time_kernel(copy, plan, sync=backend.sync())
    tt = time_kernel(triad, plan, sync=backend.sync())
    copy_bw, triad_bw = copy_b / tc.best_s, triad_b / tt.best_s  # STREAM's best rate
    return {"name": name, "array_bytes": 3 * n * ELEMENT, "copy": copy_bw, "triad": triad_bw,
            "bandwidth": max(copy_bw, triad_bw), "spread": max(tc.spread, tt.spread),
            "backend": f"{backend.name}:{backend.device}"}


def gemm_kernel(backend: Backend, dtype: str, n: int) -> Callable[[], object]:
    """A callable computing one n x n x n product at ``dtype`` on ``backend``."""
    if backend.name == "torch":
        import torch
        t = getattr(torch, {"fp32": "float32", "fp64": "float64", "bf16": "bfloat16",
                            "fp16": "float16", "tf32": "float32"}[dtype])
        a = torch.randn(n, n, device=backend.device).to(t)
        b = torch.randn(n, n, device=backend.device).to(t)
        return lambda: torch.matmul(a, b)
    import numpy as np
    rng = np.random.default_rng(0)
    t = {"fp32": np.float32, "fp64": np.float64}[dtype]
    a, b = rng.random((n, n)).astype(t), rng.random((n, n)).astype(t)
    return lambda: a @ b


def measure_peak(backend: Backend, dtype: str, plan: Plan, budget_s: float,
                 sizes=(256, 512, 1024, 2048, 4096, 8192)) -> dict:
    """Best FLOP/s of n x n GEMMs at ``dtype``; sizes grow while one call stays under budget."""
    best = None
    for n in sizes:
        timing = time_kernel(gemm_kernel(backend, dtype, n), plan, sync=backend.sync())
        rate = 2 * n**3 / timing.best_s
        if best is None or rate > best["flops_per_s"]:
            best = {"backend": f"{backend.name}:{backend.device}", "dtype": dtype, "n": n,
                    "flops_per_s": rate, "spread": timing.spread}
        if timing.median_s * 8 > budget_s:  # the next size costs ~8x: stop before the budget
            break
    return best


def flag_slow_levels(levels: list[dict]) -> list[dict]:
    """Note each cache level measured slower than a larger one: its kernels are short enough
    that the ~1 us per-call overhead of a Python-issued kernel, not the cache, sets the rate."""
    for i, lv in enumerate(levels[:-1]):
        faster = [o for o in levels[i + 1:] if o["bandwidth"] > lv["bandwidth"]]
        lv["note"] = (f"below {faster[0]['name']}'s bandwidth: per-call overhead, not the cache, "
                      "limits this size" if faster else "")
    if levels:
        levels[-1]["note"] = ""
    return levels
