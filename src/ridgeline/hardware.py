"""The hardware registry: devices as data (data/hardware.toml), every figure with its source.

Ridge point I* = peak / bandwidth, per precision (Williams, Waterman & Patterson 2009, S35).
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .dtypes import DType, get_dtype
from .errors import RidgelineError, check_name, unknown
from .ops.base import OnChip


@dataclass(frozen=True)
class Figure:
    """One number with its provenance: ``source`` is an id in data/sources.toml."""

    value: float
    source: str
    estimate: bool = False
    note: str = ""

    @classmethod
    def parse(cls, raw: dict) -> Figure:
        return cls(float(raw["v"]), raw["src"], bool(raw.get("est", False)), raw.get("note", ""))


@dataclass(frozen=True)
class MemoryLevel:
    name: str
    capacity: Figure            # bytes
    bandwidth: Figure | None    # bytes/s (None where unpublished)
    energy_per_byte: Figure     # J/byte
    tile: Figure | None = None  # bytes of per-core scratchpad (on-chip level only)
    cores: Figure | None = None  # compute units each owning a tile at once (GPU SMs; on-chip only)

    @classmethod
    def parse(cls, raw: dict) -> MemoryLevel:
        opt = lambda key: Figure.parse(raw[key]) if key in raw else None
        return cls(raw["name"], Figure.parse(raw["capacity"]), opt("bandwidth"),
                   Figure.parse(raw["energy_per_byte"]), opt("tile"), opt("cores"))


@dataclass(frozen=True)
class Hardware:
    key: str
    name: str
    summary: str
    peaks: dict          # peak_key -> Figure (dense FLOP/s or op/s)
    memory: MemoryLevel  # the off-chip level of the roofline
    onchip: MemoryLevel
    tdp_w: Figure
    weight_store: MemoryLevel | None = None
    static_w: Figure | None = None  # idle/leakage power, where a figure is known
    node: str = "7nm"               # process node: which energy.toml table and scale
    op_overhead: dict = field(default_factory=dict)  # dtype -> Figure: J/FLOP of lane overhead

    def peak(self, dtype: str | DType) -> float:
        """Dense peak FLOP/s (or op/s) at ``dtype``; RidgelineError if the device lacks it."""
        d = get_dtype(dtype)
        if d.peak_key not in self.peaks:
            raise RidgelineError(
                f"{self.key} has no {d.name} peak; it supports: {', '.join(self.dtypes)}")
        return self.peaks[d.peak_key].value

    @property
    def dtypes(self) -> list[str]:
        return list(self.peaks)

    @property
    def bandwidth(self) -> float:
        return self.memory.bandwidth.value

    def ridge(self, dtype: str | DType) -> float:
        """I* = peak / off-chip bandwidth, in FLOP (or op) per byte."""
        return self.peak(dtype) / self.bandwidth

    def onchip_elements(self, dtype: str | DType) -> OnChip:
        """On-chip capacities in elements of ``dtype`` for the tiled/Flash IO models."""
        b = get_dtype(dtype).bytes
        tile = self.onchip.tile.value if self.onchip.tile else self.onchip.capacity.value
        cores = self.onchip.cores.value if self.onchip.cores else 1
        return OnChip(capacity=self.onchip.capacity.value / b, tile=tile / b, cores=cores)

    def figures(self) -> dict[str, Figure]:
        """Every figure of the entry by a dotted name (for listings and the sanity test)."""
        out = {"tdp_w": self.tdp_w}
        if self.static_w is not None:
            out["static_w"] = self.static_w
        out.update({f"peak.{k}": v for k, v in self.peaks.items()})
        for level_name in ("memory", "onchip", "weight_store"):
            level = getattr(self, level_name)
            if level is None:
                continue
            for attr in ("capacity", "bandwidth", "energy_per_byte", "tile", "cores"):
                fig = getattr(level, attr)
                if fig is not None:
                    out[f"{level_name}.{attr}"] = fig
        return out


def _read_toml(name: str) -> dict:
    return tomllib.loads(resources.files("ridgeline.data").joinpath(name).read_text("utf-8"))


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) and "v" not in v else v
    return out


def _parse(key: str, raw: dict) -> Hardware:
    store = raw.get("weight_store")
    return Hardware(
        key=key, name=raw["name"], summary=raw.get("summary", ""),
        peaks={k: Figure.parse(v) for k, v in raw["peak"].items()},
        memory=MemoryLevel.parse(raw["memory"]), onchip=MemoryLevel.parse(raw["onchip"]),
        tdp_w=Figure.parse(raw["tdp_w"]),
        weight_store=MemoryLevel.parse(store) if store else None,
        static_w=Figure.parse(raw["static_w"]) if "static_w" in raw else None,
        node=raw.get("node", "7nm"),
        op_overhead={k: Figure.parse(v) for k, v in raw.get("op_overhead", {}).items()})


@lru_cache(maxsize=1)
def registry() -> dict[str, Hardware]:
    """All devices, keyed by name (power-mode variants as ``name:mode``)."""
    raw = _read_toml("hardware.toml")
    resolved = {}
    for key, entry in raw.items():
        if "inherit" in entry:
            parent = raw[entry["inherit"]]
            # a mode replaces its parent's peak table whole, so no unknown column leaks through
            entry = {**_merge(parent, {k: v for k, v in entry.items() if k not in ("inherit", "peak")}),
                     "peak": entry.get("peak", parent["peak"])}
        resolved[key] = _parse(key, entry)
    return resolved


@lru_cache(maxsize=1)
def sources() -> dict[str, str]:
    return _read_toml("sources.toml")


def get_hardware(name: str | Hardware) -> Hardware:
    """Look a device up by name (case-insensitive); RidgelineError listing the names if unknown."""
    if isinstance(name, Hardware):
        return name
    key = check_name("hardware", name).strip().lower()
    if key == MEASURED:
        return measured_machine()
    reg = registry()
    if key not in reg:
        raise unknown("hardware", str(name), reg)
    return reg[key]


# ---------------------------------------------------------------- the measured device
#: The device `ridgeline measure` writes: a hardware.toml entry measured on this machine,
#: cached as JSON (its "entry" key) with the measurement that produced it.
MEASURED = "this-machine"


def machine_file() -> Path:
    """Where the measured device is cached: $RIDGELINE_DATA_DIR, else the user's data
    directory ($XDG_DATA_HOME or ~/.local/share on Linux, ~/Library/Application Support on
    macOS, %LOCALAPPDATA% on Windows) under ridgeline/, as this-machine.json."""
    base = os.environ.get("RIDGELINE_DATA_DIR")
    if base:
        return Path(base) / "this-machine.json"
    if sys.platform == "darwin":
        root = Path.home() / "Library" / "Application Support"
    elif os.name == "nt":
        root = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        root = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return root / "ridgeline" / "this-machine.json"


def measured_machine() -> Hardware:
    """The cached ``this-machine`` device; RidgelineError (one line) when it is absent or
    unreadable, naming the command that (re-)measures it."""
    path = machine_file()
    try:
        stat = path.stat()
    except OSError:
        raise RidgelineError(f"{MEASURED} has not been measured yet: run `ridgeline measure` "
                             f"(it caches the device in {path})") from None
    return _read_machine(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _read_machine(path: str, mtime_ns: int, size: int) -> Hardware:
    try:
        raw = json.loads(Path(path).read_text("utf-8"))["entry"]
        return _parse(MEASURED, raw)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RidgelineError(f"the measured device cache {path} is unreadable "
                             f"({type(exc).__name__}: {exc}); run `ridgeline measure` to "
                             "re-measure this machine") from None
