"""The measured device: probe results -> a hardware.toml entry (as JSON) -> the cache file.

The entry has the registry's schema (``{"v", "src", "est", "note"}`` per figure), so
:func:`ridgeline.hardware.get_hardware` parses ``this-machine`` with the same code as every
other device. Measured figures cite M1 (sources.toml) and carry the time and load average in
their note. Energy cannot be measured from user space: those figures are laptop-cpu's cited
assumptions, copied with ``est = true`` and a note that says so.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..dtypes import DTYPES
from ..errors import RidgelineError
from ..hardware import MEASURED, get_hardware, machine_file, registry

SOURCE = "M1"
#: The registry device whose (assumed, cited) energy figures a measured CPU borrows.
ENERGY_DONOR = "laptop-cpu"
FORMAT = 1


def _fig(value: float, note: str, src: str = SOURCE, est: bool = False) -> dict:
    return {"v": float(value), "src": src, "est": est, "note": note}


def _borrowed(fig, what: str) -> dict:
    return _fig(fig.value, f"assumed, not measured: {ENERGY_DONOR}'s {what} ({fig.note})",
                fig.source, True)


def stamp(meta: dict) -> str:
    """'2026-11-24 13:42 UTC, load 4.05/3.54/2.60, 2 threads': the note on every measured figure."""
    load = meta.get("load_average")
    text = f"{meta['measured_at']}, load {'/'.join(f'{x:.2f}' for x in load) if load else 'n/a'}"
    return f"{text}, {meta['threads']} threads"


def build_entry(meta: dict, levels: list[dict], peaks: dict[str, dict]) -> dict:
    """A hardware.toml entry from measured levels (last = off-chip) and per-dtype peaks."""
    donor, when = registry()[ENERGY_DONOR], stamp(meta)
    caches, far = levels[:-1], levels[-1]
    llc = caches[-1] if caches else far
    entry = {
        "name": f"This machine ({meta['cpu']})", "node": donor.node,
        "summary": f"measured by `ridgeline measure` on {meta['measured_at']}",
        "tdp_w": _borrowed(donor.tdp_w, "TDP"), "static_w": _borrowed(donor.static_w, "static power"),
        "op_overhead": {k: _borrowed(v, f"{k} lane overhead") for k, v in donor.op_overhead.items()},
        "peak": {k: _fig(p["flops_per_s"], f"best {p['backend']} GEMM n={p['n']} "
                         f"(spread {p['spread']:.0%}), {when}") for k, p in peaks.items() if k in DTYPES},
        "memory": {"name": far["name"], "capacity": _fig(meta["ram_bytes"], "physical memory (OS)"),
                   "bandwidth": _level_bw(far, when),
                   "energy_per_byte": _borrowed(donor.memory.energy_per_byte, "DRAM energy")},
        "onchip": {"name": llc["name"], "capacity": _fig(llc["capacity"], "cache size (OS)",
                                                         est=bool(llc.get("assumed"))),
                   "bandwidth": _level_bw(llc, when),
                   "cores": _fig(meta["threads"], "threads the kernels use"),
                   "energy_per_byte": _borrowed(donor.onchip.energy_per_byte, "cache energy")},
    }
    if len(caches) >= 2:
        entry["onchip"]["tile"] = _fig(caches[-2]["capacity"], f"{caches[-2]['name']} per core (OS)")
    return entry


def _level_bw(level: dict, when: str) -> dict:
    return _fig(level["bandwidth"], f"STREAM copy {level['copy'] / 1e9:.3g} / triad "
                f"{level['triad'] / 1e9:.3g} GB/s on {level['array_bytes']:,} B "
                f"(spread {level['spread']:.0%}), {when}")


def device_json(entry: dict, levels: list[dict], meta: dict, all_peaks: dict[str, float]) -> dict:
    """The --json contract's ``device`` object."""
    return {"key": MEASURED, "name": entry["name"], "bandwidth": entry["memory"]["bandwidth"]["v"],
            "peaks": dict(all_peaks),
            "levels": [{"name": lv["name"], "capacity": lv["capacity"], "bandwidth": lv["bandwidth"],
                        "copy": lv["copy"], "triad": lv["triad"], "note": lv.get("note", "")}
                       for lv in levels],
            "blas": meta["blas"], "threads": meta["threads"], "measured_at": meta["measured_at"],
            "load_average": meta.get("load_average")}


def save(report: dict, path: Path | None = None) -> Path:
    """Write the report (with its "entry") atomically: a crash never leaves half a file."""
    path = path or machine_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".this-machine.", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"format": FORMAT, **report}, fh, indent=1)
    os.replace(tmp, path)
    return path


def load(path: Path | None = None) -> dict:
    """The cached report; RidgelineError (one line, with the re-measure hint) if absent/corrupt."""
    path = path or machine_file()
    if not path.exists():
        raise RidgelineError(f"{MEASURED} has not been measured yet: run `ridgeline measure` "
                             f"(it caches the device in {path})")
    try:
        data = json.loads(path.read_text("utf-8"))
        shape = {"entry": dict, "device": dict, "layers": list, "summary": dict}
        missing = [k for k, t in shape.items() if not isinstance(data, dict)
                   or not isinstance(data.get(k), t)]
        if missing:
            raise TypeError(f"no {', '.join(missing)}")
    except (OSError, ValueError, TypeError) as exc:
        raise RidgelineError(f"the measured device cache {path} is unreadable ({exc}); run "
                             "`ridgeline measure` to re-measure this machine") from None
    if path == machine_file():
        get_hardware(MEASURED)  # the entry parses, or the same one-line error
    return data
