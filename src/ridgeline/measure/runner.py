"""``ridgeline measure``: probe the machine, cache it as ``this-machine``, run the suite.

The device is cached as soon as the probes finish (so an interrupted suite still leaves a
usable device), then again with the suite's layers and summary. ``progress(done, total,
label)`` is called before every step; the CLI draws its bar from it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from ..hardware import get_hardware
from ..roofline import estimate
from . import device, system
from .compare import compare, summary
from .probes import Backend, flag_slow_levels, level_sizes, measure_level, measure_peak
from .suite import kernel, suite
from .timing import Plan, load_average, time_kernel

Progress = Callable[[int, int, str], None]
CPU_PEAKS = (("numpy", "fp32"), ("numpy", "fp64"), ("torch", "fp32"), ("torch", "bf16"),
             ("torch", "fp16"))
GPU_PEAKS = (("torch", "fp32"), ("torch", "bf16"), ("torch", "fp16"))


def _meta(quick: bool, gpu: bool) -> dict:
    blas = system.numpy_blas()
    kernels = system.torch_kernels()
    meta = {"measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load_average": load_average(), "threads": system.threads(), "quick": quick,
            "blas": f"{blas}; {kernels}" if kernels else blas, "energy_donor": device.ENERGY_DONOR}
    if gpu:
        import torch
        props = torch.cuda.get_device_properties(0)
        meta.update(cpu=props.name, ram_bytes=props.total_memory, threads=props.multi_processor_count,
                    energy_donor="h100-sxm")
    else:
        meta.update(cpu=system.cpu_name(), ram_bytes=_ram_bytes())
    return meta


def _ram_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 16 * 1024**3


def _caches(gpu: bool) -> list[dict]:
    if gpu:
        import torch
        l2 = torch.cuda.get_device_properties(0).L2_cache_size
        return [{"name": "L2", "capacity": l2, "shared_by": 1, "assumed": False}]
    return system.cache_levels()


def plan_steps(quick: bool, torch_ok: bool, gpu: bool) -> tuple[list, list, list, list]:
    """(levels to probe, (backend, dtype) peaks, suite layers, skipped layers)."""
    caches = _caches(gpu)
    levels = [(name, size, cap) for name, size, cap, _ in level_sizes(caches, quick)]
    peaks = GPU_PEAKS if gpu else tuple(p for p in CPU_PEAKS if torch_ok or p[0] == "numpy")
    layers, skipped = suite(quick, torch_ok)
    return levels, list(peaks), layers, skipped


def probe(quick: bool, progress: Progress, steps: tuple, gpu: bool) -> tuple[dict, list, dict]:
    """(meta, measured levels, best peak per dtype) - the machine's measured roofline;
    ``steps`` is :func:`plan_steps`' answer (the progress total counts the layers too)."""
    plan = Plan.quick() if quick else Plan()
    meta = _meta(quick, gpu)
    levels, peaks, layers, _ = steps
    total, step = len(levels) + len(peaks) + len(layers), 0
    dev = "cuda" if gpu else "cpu"
    bw_backend = Backend("torch" if system.has_torch() else "numpy", dev)
    measured = []
    for name, size, cap in levels:
        progress(step, total, f"bandwidth {name}")
        measured.append({**measure_level(bw_backend, name, size, plan), "capacity": cap})
        step += 1
    best = {}
    for backend, dtype in peaks:
        progress(step, total, f"peak {dtype} ({backend})")
        p = measure_peak(Backend(backend, dev), dtype, plan, 0.3 if quick else 2.0)
        if dtype not in best or p["flops_per_s"] > best[dtype]["flops_per_s"]:
            best[dtype] = p
        step += 1
    return meta, flag_slow_levels(measured), best


def run_suite(layers: list, levels: list[dict], quick: bool, gpu: bool, progress: Progress,
              start: int = 0, total: int | None = None) -> list[dict]:
    """Time every layer and compare it with the engine's prediction on this-machine
    (``levels``: the measured levels, off-chip last, for the measured bound)."""
    plan = Plan.quick() if quick else Plan()
    hw, dtype = get_hardware(device.MEASURED), ("bf16" if gpu else "fp32")
    backend = Backend("torch" if system.has_torch() else "numpy", "cuda" if gpu else "cpu")
    total = len(layers) if total is None else total
    rows = []
    for i, spec in enumerate(layers):
        progress(start + i, total, spec.name)
        est = estimate(spec.op, hw, dtype)
        timing = time_kernel(kernel(spec, backend, dtype), plan, sync=backend.sync())
        rows.append(compare(spec.name, spec.kind, est, timing, hw.peak(dtype), levels))
    return rows


def measure(quick: bool = False, progress: Progress | None = None,
            threads: int | None = None) -> dict:
    """Probe, cache, run the suite, cache again; returns the --json report. ``threads`` sets
    torch's intra-op pool (numpy's BLAS reads OPENBLAS/OMP_NUM_THREADS at its import)."""
    progress = progress or (lambda done, total, label: None)
    torch_ok, gpu = system.has_torch(), system.cuda_available()
    if threads and torch_ok:
        import torch
        torch.set_num_threads(threads)
    steps = plan_steps(quick, torch_ok, gpu)
    meta, levels, best = probe(quick, progress, steps, gpu)
    entry = device.build_entry(meta, levels, best)
    dev_json = device.device_json(entry, levels, meta, {k: p["flops_per_s"] for k, p in best.items()})
    report = {"entry": entry, "device": dev_json, "peaks": list(best.values()), "layers": [],
              "summary": summary([]), "skipped": []}
    device.save(report)
    _, peaks, layers, skipped = steps
    done = len(levels) + len(peaks)
    rows = run_suite(layers, levels, quick, gpu, progress, done, done + len(layers))
    progress(done + len(layers), done + len(layers), "done")
    dev_json["load_average_after"] = load_average()  # the load during the run: both ends
    report.update(layers=rows, summary=summary(rows), skipped=[s.name for s in skipped])
    device.save(report)
    return report
