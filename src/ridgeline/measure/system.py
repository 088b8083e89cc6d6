"""What this machine is: its caches, its CPU, its BLAS and thread count, whether torch is here.

Cache sizes come from Linux sysfs (``/sys/devices/system/cpu/cpu0/cache/index*``); elsewhere,
or when sysfs says nothing, typical sizes are assumed and flagged (``assumed: True``).
"""

from __future__ import annotations

import importlib.util
import os
import platform
from pathlib import Path

SYSFS = Path("/sys/devices/system/cpu/cpu0/cache")
#: Fallback when the OS reports no caches: a typical recent laptop core (flagged as assumed).
TYPICAL = [("L1", 48 * 1024), ("L2", 1024 * 1024), ("L3", 16 * 1024 * 1024)]


def parse_size(text: str) -> int:
    """'32K' -> 32768, '1024K' -> 1048576, '32M' -> 33554432, '512' -> 512 (sysfs sizes)."""
    text = text.strip().upper()
    scale = {"K": 1024, "M": 1024**2, "G": 1024**3}.get(text[-1:], 1)
    return int(text[:-1] if scale > 1 else text) * scale


def cache_levels(root: Path = SYSFS) -> list[dict]:
    """Data/unified caches, smallest first: [{"name": "L1", "capacity": bytes, "shared_by",
    "assumed"}]. ``shared_by`` counts the CPUs that share one instance (from shared_cpu_list)."""
    found = {}
    for index in sorted(root.glob("index*")) if root.is_dir() else []:
        try:
            kind = (index / "type").read_text().strip()
            if kind not in ("Data", "Unified"):
                continue
            level = int((index / "level").read_text())
            size = parse_size((index / "size").read_text())
            shared = _count_cpus((index / "shared_cpu_list").read_text())
        except (OSError, ValueError):
            continue
        found[level] = {"name": f"L{level}", "capacity": size, "shared_by": shared, "assumed": False}
    if not found:
        return [{"name": n, "capacity": c, "shared_by": 1, "assumed": True} for n, c in TYPICAL]
    return [found[k] for k in sorted(found)]


def _count_cpus(cpu_list: str) -> int:
    """'0-1' -> 2, '0,2,4-5' -> 4, '0' -> 1."""
    n = 0
    for part in cpu_list.strip().split(","):
        lo, _, hi = part.partition("-")
        n += int(hi) - int(lo) + 1 if hi else 1
    return max(n, 1)


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def has_torch() -> bool:
    return importlib.util.find_spec("torch") is not None


def numpy_blas() -> str:
    """numpy's BLAS, e.g. 'scipy-openblas 0.3.31 (OpenBLAS ... Haswell MAX_THREADS=64)'."""
    import numpy as np
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (TypeError, KeyError, AttributeError):  # an older numpy or an unusual build
        return f"numpy {np.__version__} (BLAS unknown)"
    return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()


def torch_kernels() -> str | None:
    """torch's CPU math libraries (MKL, oneDNN) or its CUDA device, None without torch."""
    if not has_torch():
        return None
    import torch
    if torch.cuda.is_available():
        return f"torch {torch.__version__} CUDA on {torch.cuda.get_device_name(0)}"
    libs = [name for name, ok in (("MKL", torch.backends.mkl.is_available()),
                                  ("oneDNN", torch.backends.mkldnn.is_available())) if ok]
    return f"torch {torch.__version__} ({', '.join(libs) or 'native kernels'})"


def threads() -> int:
    """Threads the kernels use: torch's intra-op pool when torch is here, else the CPUs this
    process may run on (OpenBLAS and MKL default to that)."""
    if has_torch():
        import torch
        return int(torch.get_num_threads())
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def cuda_available() -> bool:
    if not has_torch():
        return False
    import torch
    return bool(torch.cuda.is_available())
