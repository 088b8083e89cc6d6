"""In-process speed of ridgeline's core: profile, vectorized sweeps, the crossover solver.

Each figure is the median and 95th percentile of many timed calls (``time.perf_counter_ns``)
after a warm-up, with the garbage collector paused while timing (as ``timeit`` does). Beside
each figure sits a peer measured in the same run, so the number can be read against
something: the naive way (a Python loop calling ``ridgeline.profile`` once per point), or a
brute-force scan for the crossover solver.

Run: ``.venv/bin/python bench/bench_core.py [--quick]``. It prints; it never asserts a time.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import ridgeline
from ridgeline.sweeping import evaluate  # ridgeline.sweep (the attribute) is the sweep() function

MODEL = "llama-3-70b"
POINTS = 512
BATCHES = np.arange(1, POINTS + 1)            # batch 1..512
SEQ_LENS = np.arange(1, POINTS + 1) * 256     # context 256..131,072 tokens (Llama 3.1's window)
LAYER = "gate_proj"                           # a Linear layer whose M grows with batch


@dataclass(frozen=True)
class Timing:
    """Seconds per call over ``n`` timed calls."""

    seconds: np.ndarray

    @property
    def median(self) -> float:
        return float(np.median(self.seconds))

    @property
    def p95(self) -> float:
        return float(np.percentile(self.seconds, 95))

    @property
    def n(self) -> int:
        return len(self.seconds)


def measure(fn: Callable[[], object], repeats: int, warmup: int = 3) -> Timing:
    """Call ``fn`` ``warmup`` times untimed, then ``repeats`` times timed, GC paused."""
    for _ in range(warmup):
        fn()
    ns = np.empty(repeats, dtype=np.int64)
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(repeats):
            t0 = time.perf_counter_ns()
            fn()
            ns[i] = time.perf_counter_ns() - t0
    finally:
        if was_enabled:
            gc.enable()
    return Timing(ns / 1e9)


def fmt_time(s: float | None) -> str:
    """Seconds with a unit a person reads at a glance: 812 us, 4.15 ms, 0.56 s."""
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.0f} us"
    if s < 1.0:
        return f"{s * 1e3:.3g} ms"
    return f"{s:.3g} s"


def machine_line() -> str:
    """Where the figures came from: they mean little without the machine and its load."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"python {platform.python_version()}, numpy {np.__version__}, ridgeline "
            f"{ridgeline.__version__}, {os.cpu_count()} CPUs, load avg {load:.2f}, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")


# --- the peers -------------------------------------------------------------------------------

def naive_sweep(param: str, values, layer: str | None = None) -> Timing:
    """One ``ridgeline.profile`` per point: what a sweep costs without vectorization."""
    key = {"batch": "batch", "seq-len": "seq_len"}[param]

    def loop():
        for v in values:
            p = ridgeline.profile(MODEL, **{key: int(v)})
            _ = p.layer(layer) if layer else p.totals
    return measure(loop, repeats=1 if len(values) < POINTS else 3, warmup=1)


def scan_crossover(layer: str, memory_model: str = "compulsory") -> tuple[int | None, Callable]:
    """Brute force: evaluate every whole batch 1..65,536 at once, take the first compute-bound."""
    grid = np.arange(1, 65_537)

    def run():
        e = evaluate(MODEL, "batch", grid, layer=layer, memory_model=memory_model).estimate
        hits = np.nonzero(np.asarray(e.bound) == "compute")[0]
        return int(grid[hits[0]]) if len(hits) else None
    return run(), run


# --- the rows -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    what: str
    timing: Timing
    target_s: float | None
    peer: str = ""
    peer_s: float | None = None   # per call, comparable with timing.median
    note: str = ""


def row_profile(reps: int) -> Row:
    t = measure(lambda: ridgeline.profile(MODEL), reps)
    layers = ridgeline.profile(MODEL).layers
    one = measure(lambda: ridgeline.op("gemm", m=1, n=8192, k=8192), reps)
    return Row(f"profile {MODEL} (80 blocks, {len(layers)} distinct layers)", t, 5e-3,
               f"{len(layers)} x one op estimate (floor)", one.median * len(layers),
               f"{sum(e.count for e in layers):,} layer instances; identical blocks are "
               "estimated once and multiplied by their count")


def row_sweep(param: str, values, reps: int, naive_values, layer=None, target=50e-3) -> Row:
    t = measure(lambda: evaluate(MODEL, param, values, layer=layer), reps)
    naive = naive_sweep(param, naive_values, layer)
    per_sweep = naive.median * len(values) / len(naive_values)
    extrap = "" if len(naive_values) == len(values) else f", extrapolated from {len(naive_values)}"
    span = f"{param} {int(values[0]):,}..{int(values[-1]):,}"
    what = f"{len(values)}-point sweep, {'layer ' + layer if layer else 'whole model'}, {span}"
    return Row(what, t, target, f"naive loop of profile(){extrap}", per_sweep)


def row_crossover(layer: str, memory_model: str, reps: int) -> Row:
    c = ridgeline.crossover(MODEL, layer, "batch", memory_model=memory_model)
    t = measure(lambda: ridgeline.crossover(MODEL, layer, "batch", memory_model=memory_model), reps)
    first, scan = scan_crossover(layer, memory_model)
    peer = measure(scan, max(3, reps // 10), warmup=1)
    agree = "agrees" if first == c.first_compute_bound else f"DISAGREES (scan: {first})"
    return Row(f"crossover {layer} vs batch, {c.method} ({memory_model})", t, 50e-3,
               "vectorized scan of batch 1..65,536", peer.median,
               f"batch* = {c.crossover:.4g}, first compute-bound {c.first_compute_bound}; scan {agree}")


def row_placed_vs_compulsory(what: str, call: Callable[[str], object], reps: int) -> Row:
    """The default (placement-aware) model beside the seed's compulsory model, same run: the
    placement pass must cost at most 2x (issue: physics you can trust)."""
    placed = measure(lambda: call("placed"), reps)
    compulsory = measure(lambda: call("compulsory"), reps)
    ratio = placed.median / compulsory.median
    return Row(f"{what}, placed (default)", placed, None, "same, compulsory", compulsory.median,
               f"placed / compulsory = {ratio:.2f}x ({'within' if ratio <= 2 else 'OVER'} the 2x budget)")


def rows(quick: bool) -> list[Row]:
    reps = 15 if quick else 200
    naive_values = BATCHES[:16] if quick else BATCHES
    naive_seq = SEQ_LENS[:16] if quick else SEQ_LENS
    return [
        row_profile(reps),
        row_sweep("batch", BATCHES, reps, naive_values),
        row_sweep("seq-len", SEQ_LENS, reps, naive_seq),
        row_sweep("batch", BATCHES, reps, naive_values, layer=LAYER),
        row_crossover(LAYER, "compulsory", reps),
        row_crossover(LAYER, "tiled", max(5, reps // 4)),
        row_placed_vs_compulsory(f"profile {MODEL}", lambda mm: ridgeline.profile(MODEL, memory_model=mm),
                                 reps),
        row_placed_vs_compulsory(f"{POINTS}-point whole-model sweep, batch",
                                 lambda mm: evaluate(MODEL, "batch", BATCHES, memory_model=mm), reps),
    ]


def _ratio(peer_s, median_s) -> str:
    if not peer_s:
        return ""
    x = peer_s / median_s
    return f"  ({x:,.0f}x faster)" if x >= 1.5 else f"  (peer/median = {x:.2f})"


def print_table(table: list[Row]) -> None:
    head = f"{'what':<58} {'median':>9} {'p95':>9} {'n':>4} {'target':>8} {'met':>4}  peer (same run)"
    print(head)
    print("-" * len(head))
    for r in table:
        met = "-" if r.target_s is None else ("yes" if r.timing.median < r.target_s else "NO")
        speed = _ratio(r.peer_s, r.timing.median)
        print(f"{r.what:<58} {fmt_time(r.timing.median):>9} {fmt_time(r.timing.p95):>9} "
              f"{r.timing.n:>4} {'< ' + fmt_time(r.target_s) if r.target_s else '-':>8} {met:>4}  "
              f"{r.peer}: {fmt_time(r.peer_s)}{speed}")
        if r.note:
            print(f"{'':<4}{r.note}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few repeats (a smoke run, not figures)")
    args = ap.parse_args(argv)
    print(f"bench_core: {machine_line()}{'  [--quick: few repeats]' if args.quick else ''}")
    print_table(rows(args.quick))
    print("peer speed-up = peer time / median; targets are budgets, not assertions.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
