"""Measure this machine and check the engine against it (``ridgeline measure``).

STREAM-style bandwidth per memory level and GEMM peaks per dtype become the device
``this-machine`` (cached in the user's data directory, :func:`ridgeline.hardware.machine_file`);
a suite of real layers is then timed and each placed beside the engine's prediction.
numpy is required; torch, imported only inside the functions that run kernels, adds fused
triads, bf16/fp16 GEMMs, convolutions, attention and (with CUDA) the GPU.

    from ridgeline.measure import measure, load
    report = measure(quick=True)     # the --json report; also cached
    load()["summary"]                # the cached report, RidgelineError if absent or corrupt
"""

from __future__ import annotations

from .device import load, save
from .runner import measure

# submodules (compare, device, probes, runner, suite, system, timing) keep their own names
__all__ = ["load", "measure", "save"]
