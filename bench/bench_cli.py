"""Wall time of the ridgeline CLI as a user feels it: a fresh Python process per command.

Times ``ridgeline --help`` and ``ridgeline op gemm --m 4096 --n 4096 --k 4096`` as
subprocesses (``[sys.executable, "-m", "ridgeline", ...]``), median over ~15 runs, beside the
floor every Python CLI pays: ``python -c pass`` and ``python -c "import numpy"``. Then one
``python -X importtime`` run lists the heaviest imports on the ``op`` path.

Run: ``.venv/bin/python bench/bench_cli.py [--quick]``. It prints; it never asserts a time.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

import numpy as np
from bench_core import Timing, fmt_time, machine_line

TARGET_S = 0.5
HELP = ["-m", "ridgeline", "--help"]
GEMM = ["-m", "ridgeline", "op", "gemm", "--m", "4096", "--n", "4096", "--k", "4096"]


def run(args: list[str]) -> subprocess.CompletedProcess:
    # a user's run reads and writes the .pyc cache, so it must not be switched off here
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return subprocess.run([sys.executable, *args], check=False, capture_output=True, text=True,
                          env=env)


def wall_all(commands: dict[str, list[str]], runs: int) -> dict[str, Timing]:
    """Wall times of ``runs`` fresh processes per command, after one untimed warm-up each.

    The commands take turns (round-robin) so that a burst of load on a shared machine falls
    on the peers and the CLI alike, and their ratio stays meaningful.
    """
    for args in commands.values():
        run(args)  # warm the OS file cache and the bytecode cache
    ns = {name: [] for name in commands}
    for _ in range(runs):
        for name, args in commands.items():
            t0 = time.perf_counter_ns()
            run(args)
            ns[name].append(time.perf_counter_ns() - t0)
    return {name: Timing(np.array(v) / 1e9) for name, v in ns.items()}


def cli_missing() -> str | None:
    """None if ``python -m ridgeline --help`` works; else the reason, in one line."""
    p = run(HELP)
    if p.returncode == 0:
        return None
    lines = (p.stderr or p.stdout).strip().splitlines() or [f"exit status {p.returncode}"]
    return lines[-1]


def print_rows(rows: list[tuple[str, Timing | None, float | None, str]]) -> None:
    head = f"{'command':<52} {'median':>9} {'p95':>9} {'n':>3} {'target':>9} {'met':>4}"
    print(head)
    print("-" * len(head))
    for what, t, target, note in rows:
        if t is None:
            print(f"{what:<52} {'-':>9} {'-':>9} {'-':>3} {'-':>9} {'-':>4}  {note}")
            continue
        met = "-" if target is None else ("yes" if t.median < target else "NO")
        tgt = f"< {fmt_time(target)}" if target else "-"
        print(f"{what:<52} {fmt_time(t.median):>9} {fmt_time(t.p95):>9} {t.n:>3} {tgt:>9} {met:>4}  {note}")


_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def import_times(args: list[str]) -> list[tuple[int, int, int, str]]:
    """(cumulative us, self us, depth, module) from ``-X importtime``, heaviest first."""
    p = run(["-X", "importtime", *args])
    rows = []
    for line in p.stderr.splitlines():
        m = _IMPORTTIME.match(line)
        if m:
            depth = (len(m.group(3)) - 1) // 2
            rows.append((int(m.group(2)), int(m.group(1)), depth, m.group(4)))
    return sorted(rows, reverse=True)


def print_imports(args: list[str], label: str, top: int) -> None:
    every = import_times(args)
    rows = every[:top]
    total = sum(r[0] for r in every if r[2] == 0)
    numpy_us = sum(r[0] for r in every if r[3] == "numpy")
    print(f"\nheaviest imports on the path of `{label}` (python -X importtime, one run):")
    print(f"{'cumulative':>11} {'self':>9} {'depth':>5}  module (depth 0 = imported by the entry point)")
    for cum, own, depth, name in rows:
        print(f"{cum / 1e3:>8.1f} ms {own / 1e3:>6.1f} ms {depth:>5}  {name}")
    if total:
        print(f"all imports: {total / 1e3:.0f} ms, of which numpy {numpy_us / 1e3:.0f} ms "
              f"({numpy_us / total:.0%})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 runs each (a smoke run, not figures)")
    args = ap.parse_args(argv)
    runs = 3 if args.quick else 15
    print(f"bench_cli: {machine_line()}{'  [--quick: 3 runs]' if args.quick else ''}")
    missing = cli_missing()
    peers = {"python -c pass  (interpreter floor)": ["-c", "pass"],
             'python -c "import numpy"  (numpy floor)': ["-c", "import numpy"],
             'python -c "import ridgeline"  (library import)': ["-c", "import ridgeline"]}
    cli = {} if missing else {"ridgeline --help": HELP,
                              "ridgeline op gemm --m 4096 --n 4096 --k 4096": GEMM}
    times = wall_all({**peers, **cli}, runs)
    rows = [(name, times[name], None, "peer") for name in peers]
    if missing:
        rows += [("ridgeline --help", None, TARGET_S, f"CLI not available yet: {missing}"),
                 ("ridgeline op gemm --m 4096 --n 4096 --k 4096", None, TARGET_S, "skipped")]
    else:
        rows += [(name, times[name], TARGET_S, "") for name in cli]
    print_rows(rows)
    if missing:
        print_imports(["-c", "import ridgeline"], "import ridgeline (CLI missing)", 12)
    else:
        print_imports(GEMM, "ridgeline op gemm ...", 12)
    print("\nwall time = process start to exit, as a shell user sees it; the commands take turns, "
          "so load hits all alike;\ntargets are budgets, not assertions.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
