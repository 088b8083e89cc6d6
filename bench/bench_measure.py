"""Wall time of ``ridgeline measure --quick`` (aim: under a minute on the 2-core machine), and
the validation figures it prints, with the load average before and after each run.

Each run uses a throw-away data directory, so the user's cached ``this-machine`` is left alone.
Run: ``.venv/bin/python bench/bench_measure.py [--threads N ...]`` (default: the kernels' own
thread count, then 1). It prints; it never asserts a time. Not in run_all.sh: one run loads
the machine for ~20-60 s and its figures are the measurement itself, not a speed of ridgeline.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

AIM_S = 60.0


def one_run(threads: int | None) -> tuple[float, dict, list, list]:
    """(wall s, --json report, load before, load after) of one quick measurement."""
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "RIDGELINE_DATA_DIR": data_dir}
        argv = [sys.executable, "-m", "ridgeline", "measure", "--quick", "--json"]
        argv += ["--threads", str(threads)] if threads else []
        before = [round(x, 2) for x in os.getloadavg()]
        t0 = time.perf_counter()
        out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t0
        return wall, json.loads(out.stdout), before, [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, nargs="*", default=[0, 1],
                    help="thread counts to try (0 = the kernels' default)")
    args = ap.parse_args()
    print(f"ridgeline measure --quick: aim < {AIM_S:.0f} s wall")
    for threads in args.threads:
        wall, rep, before, after = one_run(threads or None)
        s, dev = rep["summary"], rep["device"]
        print(f"threads {dev['threads']}: wall {wall:.1f} s ({'met' if wall < AIM_S else 'MISSED'}), "
              f"load {before} -> {after}; DRAM {dev['bandwidth'] / 1e9:.3g} GB/s, fp32 "
              f"{dev['peaks']['fp32'] / 1e9:.3g} GFLOP/s; {s['layers']} layers: under the roof "
              f"{s['under_roof_share']:.0%}, median ratio {s['median_ratio']:.2f}, worst "
              f"{s['worst_ratio']:.2f}, bound agreement {s['bound_agreement']:.0%}")


if __name__ == "__main__":
    main()
