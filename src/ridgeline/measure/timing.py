"""Timing kernels honestly: warm-up, calibrated inner loops, repeats, median and spread.

A sample runs the kernel ``inner`` times back to back, with ``inner`` chosen so that a sample
lasts at least ``min_sample_s`` (a microsecond kernel is not timed with a microsecond clock
call around it); the reported time is the median sample / ``inner``. Spread is
(max - min) / median over the samples: the noise a reader should put beside the figure (this
machine is shared, so the load average is recorded with every measurement too).
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """One kernel's timing per call: ``median_s`` (what a layer takes) and ``best_s`` (the
    fastest sample: STREAM's "best rate", the right statistic for a roof, an upper bound),
    ``spread`` relative, over ``repeats`` samples."""

    median_s: float
    spread: float
    repeats: int
    warmup: int
    inner: int
    best_s: float = 0.0

    def to_dict(self) -> dict:
        return {"median_s": self.median_s, "best_s": self.best_s, "spread": self.spread,
                "repeats": self.repeats, "warmup": self.warmup, "inner": self.inner}


@dataclass(frozen=True)
class Plan:
    """How hard to time: ``quick`` trades repeats and sample length for a sub-minute run."""

    repeats: int = 7
    warmup: int = 2
    min_sample_s: float = 0.02

    @classmethod
    def quick(cls) -> Plan:
        return cls(repeats=3, warmup=1, min_sample_s=0.004)


def from_samples(samples: list[float], inner: int, warmup: int) -> Timing:
    """Median and relative spread of per-sample times (each of ``inner`` calls)."""
    if not samples or inner < 1:
        raise ValueError("a timing needs at least one sample of at least one call")
    med = statistics.median(samples)
    spread = (max(samples) - min(samples)) / med if med > 0 else 0.0
    return Timing(med / inner, spread, len(samples), warmup, inner, min(samples) / inner)


def time_kernel(fn: Callable[[], object], plan: Plan = Plan(), *,
                sync: Callable[[], None] | None = None,
                clock: Callable[[], float] = time.perf_counter) -> Timing:
    """Warm up, calibrate ``inner`` from one timed call, then take ``plan.repeats`` samples.
    ``sync`` (e.g. torch.cuda.synchronize) runs before each clock read on asynchronous devices."""
    sync = sync or (lambda: None)
    for _ in range(plan.warmup):
        fn()
    sync()
    t0 = clock()
    fn()
    sync()
    once = max(clock() - t0, 1e-9)
    inner = max(1, math.ceil(plan.min_sample_s / once)) if once < plan.min_sample_s else 1
    samples = []
    for _ in range(plan.repeats):
        t0 = clock()
        for _ in range(inner):
            fn()
        sync()
        samples.append(clock() - t0)
    return from_samples(samples, inner, plan.warmup)


def load_average() -> list[float] | None:
    """The 1/5/15-minute load averages (None where the OS has none): stated beside figures."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None
