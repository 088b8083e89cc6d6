"""Energy per operation for a device: its process node's table (data/energy.toml) plus the
operand-delivery overhead of the lanes that run the format (data/hardware.toml).

e_op(hw, dtype) = (e_table[node.table][dtype] + overhead[hw][dtype]) x node.scale
E = FLOPs . e_op + sum over memory levels of bytes_level . e_byte(level) + P_static . t

Tables: Jouppi et al., ISCA 2021, Table 2 (7 nm, J21); Horowitz, ISSCC 2014 (45 nm, S22),
kept as the reference for 40 nm-class MCUs. Node scales: TSMC N5 / N4P (S45, S46).
"""

from __future__ import annotations

from functools import lru_cache

from .dtypes import DType, get_dtype
from .errors import RidgelineError
from .hardware import Figure, Hardware, _read_toml, get_hardware


@lru_cache(maxsize=1)
def _tables() -> dict[str, dict[str, Figure]]:
    raw = _read_toml("energy.toml")["per_flop"]
    return {node: {k: Figure.parse(v) for k, v in t.items()} for node, t in raw.items()}


@lru_cache(maxsize=1)
def _nodes() -> dict[str, tuple[str, Figure]]:
    raw = _read_toml("energy.toml")["node"]
    return {name: (n["table"], Figure.parse(n["scale"])) for name, n in raw.items()}


def energy_per_flop(dtype: str | DType, node: str = "7nm") -> Figure:
    """Arithmetic energy per FLOP at ``dtype`` from ``node``'s table (no lane overhead, unscaled)."""
    if node not in _tables():
        raise RidgelineError(f"no energy table for node {node!r}; tables: {', '.join(_tables())}")
    return _tables()[node][get_dtype(dtype).name]


def op_energy(hw: str | Hardware, dtype: str | DType) -> Figure:
    """Joules per FLOP (or integer op) at ``dtype`` on ``hw`` (see :func:`_op_energy`);
    remembered per device object and format, since every layer estimate asks for it."""
    hw, d = get_hardware(hw), get_dtype(dtype)
    key = (hw.key, id(hw), d.name)
    if key not in _OP_ENERGY:
        _OP_ENERGY[key] = (hw, _op_energy(hw, d))  # hw kept alive so its id stays its own
    return _OP_ENERGY[key][1]


_OP_ENERGY: dict = {}


def _op_energy(hw: Hardware, d: DType) -> Figure:
    """Joules per FLOP (or integer op) at ``dtype`` on ``hw``: the node's table entry plus the
    device's operand-delivery overhead for that format, times the node's scale."""
    if hw.node not in _nodes():
        raise RidgelineError(f"{hw.key}: unknown process node {hw.node!r}; nodes: {', '.join(_nodes())}")
    table, scale = _nodes()[hw.node]
    base = energy_per_flop(d, table)
    extra = hw.op_overhead.get(d.name)
    value = (base.value + (extra.value if extra else 0.0)) * scale.value
    note = f"{base.note} [{table} table, {base.source}]"
    if extra is not None:
        note += f" + {extra.value * 1e12:.3g} pJ lane overhead ({extra.source}: {extra.note})"
    if scale.value != 1.0:
        note += f"; x {scale.value:g} for {hw.node} ({scale.source})"
    estimate = base.estimate or scale.estimate or bool(extra and extra.estimate)
    return Figure(value, base.source, estimate, note)


def energy_ridge(dtype: str | DType, energy_per_byte: float, hw: str | Hardware | None = None) -> float:
    """Intensity below which moving bytes costs more energy than computing: e_byte / e_op
    (e_op of ``hw`` when given, else the 7 nm table's arithmetic energy)."""
    e_op = op_energy(hw, dtype) if hw is not None else energy_per_flop(dtype)
    return energy_per_byte / e_op.value
