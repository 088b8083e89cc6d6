"""The public-API fuzzer at scale: >= 100,000 generated calls, every misbehaviour collected.

Same strategies and the same oracle as ``tests/test_fuzz_api.py`` (a call must return finite,
non-negative numbers or raise a one-line RidgelineError), but instead of stopping at the first
failure it runs every example and groups what went wrong by exception type and message shape,
so one run lists every distinct problem with one call that triggers it.

Run: ``.venv/bin/python bench/fuzz_api.py [--scale 5] [--seed N] [--quick]``. ``--scale``
multiplies the CI budget (20,200 calls at scale 1; the default scale 5 makes 101,000);
``--seed`` draws a different set of calls (the default, derandomized, is CI's draw extended);
exit status 1 if any call misbehaved.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

ROOT = Path(__file__).resolve().parents[1]


def load_fuzz_module():
    """tests/test_fuzz_api.py, imported by path (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location("test_fuzz_api", ROOT / "tests" / "test_fuzz_api.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the class is built
    spec.loader.exec_module(mod)
    return mod


def signature(problem: str) -> str:
    """The shape of a problem: numbers and quoted values blanked, so one bug is one line."""
    s = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", problem)
    return re.sub(r"-?\d[\d.e+,_]*", "N", s)[:160]


def fuzz(mod, kind: str, strategy, n: int, seed_value: int | None, found: dict) -> int:
    """Run ``n`` examples of ``strategy``; record each misbehaving call under its signature."""
    calls = 0

    @settings(max_examples=n, deadline=None, derandomize=seed_value is None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def body(call):
        nonlocal calls
        calls += 1
        problem = mod.outcome(call)
        if problem is not None:
            key = (kind, signature(problem))
            count, example = found.get(key, (0, None))
            found[key] = (count + 1, example or f"{call!r}\n      -> {problem}")

    (seed(seed_value)(body) if seed_value is not None else body)()
    return calls


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=5.0, help="x the CI budget (default 5)")
    ap.add_argument("--seed", type=int, default=None, help="random draw instead of CI's")
    ap.add_argument("--quick", action="store_true", help="scale 0.05 (a smoke run)")
    args = ap.parse_args(argv)
    scale = 0.05 if args.quick else args.scale
    mod = load_fuzz_module()
    strategies = {"op": mod.op_calls(), "estimate": mod.estimate_calls(),
                  "profile": mod.profile_calls(), "sweep": mod.sweep_calls(),
                  "crossover": mod.crossover_calls()}
    found: dict = {}
    counts: Counter = Counter()
    t0 = time.perf_counter()
    for kind, strategy in strategies.items():
        t = time.perf_counter()
        counts[kind] = fuzz(mod, kind, strategy, max(1, round(mod.BUDGET[kind] * scale)),
                            args.seed, found)
        print(f"{kind:<10} {counts[kind]:>8,} calls  {time.perf_counter() - t:7.1f} s", flush=True)
    wall = time.perf_counter() - t0
    bad = sum(c for c, _ in found.values())
    print(f"total      {sum(counts.values()):>8,} calls  {wall:7.1f} s wall; "
          f"{bad:,} misbehaving calls, {len(found)} distinct problems")
    for (kind, sig), (count, example) in sorted(found.items(), key=lambda kv: -kv[1][0]):
        print(f"\n[{kind}] x{count}: {sig}\n    e.g. {example}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
