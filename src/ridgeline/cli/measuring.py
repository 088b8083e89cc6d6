"""``ridgeline measure``: the handler, its progress bar and its text report.

The measurement itself is :mod:`ridgeline.measure` (numpy, and torch when installed), imported
when the command runs, so ``--help`` stays free of numpy. The report goes to stdout; the
progress bar and warnings go to stderr (the bar only on a terminal), so ``--json`` pipes clean.
"""

from __future__ import annotations

import os
import sys

from .. import format as fmt
from .parser import PROG
from .shape import emit_json

BAR = 28


def progress_bar(stream=None):
    """A ``progress(done, total, label)`` that redraws one line on a terminal, else is silent."""
    stream = sys.stderr if stream is None else stream
    if not getattr(stream, "isatty", lambda: False)():
        return lambda done, total, label: None

    def draw(done: int, total: int, label: str) -> None:
        filled = BAR * done // max(total, 1)
        end = "\n" if done >= total else ""
        stream.write(f"\r[{'#' * filled}{'.' * (BAR - filled)}] {done}/{total} {label[:40]:<40}{end}")
        stream.flush()
    return draw


def _set_threads(threads: int | None) -> None:
    """--threads N: the BLAS pools read these at import (numpy not loaded yet in a CLI run);
    torch's pool is set again by the measurement itself."""
    if threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)


def cmd_measure(args) -> int:
    _set_threads(args.threads)
    from ..measure import load, measure
    if args.cached:
        report = load()
    else:
        _warn_if_loaded(args.threads)
        report = measure(quick=args.quick, progress=progress_bar(), threads=args.threads)
    if args.json:
        emit_json({k: report[k] for k in ("device", "layers", "summary")})
        return 0
    print("\n".join(report_lines(report)))
    return 0


def _warn_if_loaded(threads: int | None) -> None:
    cpus = os.cpu_count() or 1
    try:
        load1 = os.getloadavg()[0]
    except (AttributeError, OSError):
        return
    if (threads or cpus) > 1 and load1 >= cpus - 0.5:
        print(f"{PROG}: warning: load average {load1:.2f} on {cpus} CPUs: other work will "
              "preempt the kernels' threads (parallel regions then stall for a scheduler "
              "slice); figures will be low and noisy (try --threads 1)", file=sys.stderr)


def report_lines(report: dict) -> list[str]:
    """The whole text report: device, levels, peaks, layers, summary, notes."""
    d = report["device"]
    load = d.get("load_average")
    loads = "/".join(f"{x:.2f}" for x in load) if load else "n/a"
    if d.get("load_average_after"):
        loads += " -> " + "/".join(f"{x:.2f}" for x in d["load_average_after"]) + " at the end"
    lines = [(f"{d['name']} ({d['key']}), measured {d['measured_at']}, load average {loads}, "
             f"{d['threads']} thread{'s' if d['threads'] != 1 else ''}"), f"kernels: {d['blas']}", ""]
    lines += level_table(d["levels"]).splitlines()
    lines += [f"note: {lv['name']}: {lv['note']}" for lv in d["levels"] if lv.get("note")]
    lines += ["", "peak (best GEMM): " + ", ".join(
        f"{k} {fmt.format_si(v, 'FLOP/s')}" for k, v in d["peaks"].items()), ""]
    if report["layers"]:
        lines += layer_table(report["layers"]).splitlines() + [""]
    lines += summary_lines(report["summary"])
    lines += [f"above the roof: {r['name']}: {r['note']}" for r in report["layers"] if r["note"]]
    if report.get("skipped"):
        lines.append(f"skipped (need torch): {', '.join(report['skipped'])}")
    return lines


def level_table(levels: list[dict]) -> str:
    rows = [[lv["name"], fmt.format_si(lv["capacity"], "B") if lv["capacity"] else "-",
             fmt.format_si(lv["copy"], "B/s"), fmt.format_si(lv["triad"], "B/s"),
             fmt.format_si(lv["bandwidth"], "B/s")] for lv in levels]
    return fmt.render_table(["level", "capacity", "copy", "triad", "bandwidth"], rows)


def layer_table(rows: list[dict]) -> str:
    table = [[r["name"], fmt.format_si(r["predicted_time_s"], "s"),
              fmt.format_si(r["measured_time_s"], "s"), f"{r['spread']:.0%}",
              f"{r['ratio']:.2f}", fmt.format_si(r["achieved_flops"], "FLOP/s"),
              f"{r['achieved_flops'] / r['roof_flops']:.0%}", r["predicted_bound"],
              r["measured_bound"]] for r in rows]
    return fmt.render_table(["layer", "predicted", "measured", "spread", "ratio", "achieved",
                             "of roof", "bound (pred.)", "bound (meas.)"], table,
                            align="lrrrrrrll")


def summary_lines(s: dict) -> list[str]:
    if not s.get("layers"):
        return ["summary: no layers measured"]
    return [(f"under the roof: {s['under_roof_share']:.0%} of {s['layers']} layers "
             "(measured time >= predicted)"),
            (f"measured / predicted time: median {s['median_ratio']:.2f}, worst "
             f"{s['worst_ratio']:.2f}"),
            f"bound agreement: {s['bound_agreement']:.0%} (predicted bound = measured bound)"]
