"""The hardware registry: every entry walked with sanity bounds, published figures spot-checked.

Citations are DATA.md section F ids; the ridge point I* = peak / bandwidth (S35).
"""

from __future__ import annotations

import pytest

import ridgeline
from ridgeline.energy import _tables, energy_per_flop, energy_ridge
from ridgeline.errors import RidgelineError
from ridgeline.hardware import get_hardware, registry, sources

ENTRIES = sorted(registry())

#: (lowest, highest) plausible value for each kind of figure, SI units.
BOUNDS = {
    "peak": (1e8, 1e16),             # FLOP/s: an MCU's ~1 GFLOP/s .. a datacenter GPU's PFLOP/s
    "bandwidth": (1e7, 1e13),        # B/s: slow flash .. HBM3
    "capacity": (1e3, 1e12),         # bytes: a KB-scale buffer .. TB-scale memory
    "tile": (1e3, 1e12),
    "cores": (1, 1e4),               # compute units owning a tile at once: 1 .. a GPU's SMs
    "energy_per_byte": (1e-13, 1e-9),  # J/B: small SRAM .. DRAM
    "tdp_w": (0.01, 1000),
    "static_w": (0, 1000),
}


def _kind(name: str) -> str:
    """'peak.bf16' -> 'peak'; 'memory.bandwidth' -> 'bandwidth'; 'tdp_w' -> 'tdp_w'."""
    if name.startswith("peak."):
        return "peak"
    return name.split(".")[-1]


def test_registry_has_every_contract_name_and_the_power_modes():
    names = set(ENTRIES)
    for key in ("h100-sxm", "h100-pcie", "a100-80gb", "jetson-agx-orin", "phone-npu",
                "cortex-m7", "ethos-u55", "laptop-cpu"):
        assert key in names
    assert {"jetson-agx-orin:50w", "jetson-agx-orin:30w", "jetson-agx-orin:15w"} <= names


@pytest.mark.parametrize("key", ENTRIES)
def test_every_figure_is_in_bounds_and_cited(key):
    hw = registry()[key]
    known = sources()
    figures = hw.figures()
    assert any(n.startswith("peak.") for n in figures)
    for name, fig in figures.items():
        lo, hi = BOUNDS[_kind(name)]
        assert lo <= fig.value <= hi, f"{key} {name} = {fig.value:g} outside [{lo:g}, {hi:g}]"
        assert fig.source in known, f"{key} {name}: source {fig.source!r} not in sources.toml"
        if fig.source == "U1":
            assert fig.estimate, f"{key} {name} is an assumption (U1) but not flagged est"


@pytest.mark.parametrize("key", ENTRIES)
def test_memory_hierarchy_is_ordered(key):
    hw = registry()[key]
    assert hw.onchip.capacity.value < hw.memory.capacity.value
    tile = hw.onchip.tile or hw.onchip.capacity
    assert tile.value <= hw.onchip.capacity.value
    # moving a byte on chip is cheaper than moving it from the roofline's memory level
    assert hw.onchip.energy_per_byte.value <= hw.memory.energy_per_byte.value
    if hw.weight_store is not None:
        # a weight store is the slower level that holds what the working memory cannot
        assert hw.weight_store.bandwidth.value <= hw.memory.bandwidth.value
        assert hw.weight_store.capacity.value > hw.memory.capacity.value


@pytest.mark.parametrize("key", ENTRIES)
def test_lower_precision_is_never_slower(key):
    hw = registry()[key]
    p = {k: f.value for k, f in hw.peaks.items()}
    for low in ("fp8", "int8", "int4"):
        for high in ("bf16", "fp16", "tf32", "fp32"):
            if low in p and high in p:
                assert p[low] >= p[high], (key, low, high)
    for half in ("bf16", "fp16"):
        for full in ("tf32", "fp32"):
            if half in p and full in p:
                assert p[half] >= p[full], (key, half, full)
    if "tf32" in p and "fp32" in p:
        assert p["tf32"] >= p["fp32"]


@pytest.mark.parametrize("key", ENTRIES)
def test_ridge_is_peak_over_bandwidth(key):
    hw = registry()[key]
    for dtype in hw.dtypes:
        assert hw.ridge(dtype) == hw.peak(dtype) / hw.memory.bandwidth.value
        assert 0.1 < hw.ridge(dtype) < 2000     # DATA.md A.4 spans ~0.25 .. ~1,300


def test_power_modes_inherit_memory_and_scale_down():
    full = get_hardware("jetson-agx-orin")
    prev = full
    for mode in ("50w", "30w", "15w"):
        hw = get_hardware(f"jetson-agx-orin:{mode}")
        assert hw.memory == full.memory and hw.onchip == full.onchip
        assert hw.tdp_w.value == float(mode[:-1])
        for dtype in full.dtypes:
            assert hw.peak(dtype) < prev.peak(dtype)
        prev = hw


# ----------------------------------------------------------------- published figures

def test_h100_sxm_published_figures():
    hw = get_hardware("h100-sxm")
    # S1: datasheet BF16 1,979 TFLOPS "shown with sparsity"; dense = 989.4
    assert hw.peak("bf16") == pytest.approx(989.4e12)
    assert hw.peak("fp8") == pytest.approx(1978.9e12)      # S1: 3,958 sparse / 2
    assert hw.peak("fp32") == pytest.approx(66.9e12)       # S1/S2: non-tensor
    assert hw.bandwidth == pytest.approx(3.35e12)          # S1: 3.35 TB/s HBM3
    assert hw.tdp_w.value == 700                           # S1, S6
    # DATA.md A.4: 989.4e12 / 3.35e12 = 295.3
    assert hw.ridge("bf16") == pytest.approx(295, abs=0.5)
    assert hw.ridge("fp8") == pytest.approx(591, abs=0.5)
    assert hw.ridge("fp32") == pytest.approx(20, abs=0.1)


def test_h100_pcie_and_a100_published_figures():
    pcie = get_hardware("h100-pcie")
    assert pcie.peak("bf16") == pytest.approx(756e12)      # S1: 1,513 sparse / 2
    assert pcie.ridge("bf16") == pytest.approx(378)        # 756 / 2.0 (S1, S3)
    a100 = get_hardware("a100-80gb")
    assert a100.peak("bf16") == pytest.approx(312e12)      # S10: dense tensor
    assert a100.bandwidth == pytest.approx(2.039e12)       # S10: 80 GB HBM2e
    assert a100.ridge("bf16") == pytest.approx(153, abs=0.5)   # DATA.md A.4: 312 / 2.039
    assert a100.ridge("int8") == pytest.approx(306, abs=0.5)
    with pytest.raises(RidgelineError, match="no fp8"):    # S10: A100 has no FP8
        a100.peak("fp8")


def test_orin_published_figures():
    orin = get_hardware("jetson-agx-orin")
    assert orin.bandwidth == pytest.approx(204.8e9)        # S11: 256-bit LPDDR5 @ 3200 MHz
    assert orin.peak("int8") == pytest.approx(137.5e12)    # S12: module 275 sparse / 2
    # DATA.md A.4: GPU + 2xDLA INT8 dense 137.5 T / 204.8 GB/s = 671
    assert orin.ridge("int8") == pytest.approx(671, abs=0.5)
    assert orin.ridge("fp16") == pytest.approx(208, abs=0.5)    # 42.5 T / 204.8 GB/s
    assert orin.peaks["int8"].estimate                     # derived from sparse: flagged


def test_ethos_u55_ridge_against_sram_and_flash():
    hw = get_hardware("ethos-u55")
    assert hw.peak("int8") == pytest.approx(256e9)         # 256 MAC/clk x 2 x 500 MHz (S19, S19b)
    assert hw.ridge("int8") == pytest.approx(64)           # vs SRAM 4 GB/s (S19b)
    # vs flash 0.5 GB/s (S19b): 256e9 / 0.5e9 = 512
    assert hw.peak("int8") / hw.weight_store.bandwidth.value == pytest.approx(512)


def test_mcu_and_laptop_ridges():
    assert get_hardware("cortex-m7").ridge("int8") == pytest.approx(1.0)   # 1.92 G / 1.92 GB/s
    assert get_hardware("laptop-cpu").ridge("fp32") == pytest.approx(8.6, abs=0.05)  # 768/89.6
    assert get_hardware("phone-npu").ridge("int8") == pytest.approx(586, abs=0.5)   # 45 T/76.8


def test_ridges_span_three_orders_of_magnitude():
    # DATA.md A.4 takeaway: ~0.25-1 on an MCU to ~600 on datacenter and phone NPUs
    ridges = [hw.ridge(d) for hw in registry().values() for d in hw.dtypes]
    assert max(ridges) / min(ridges) > 1000


# ----------------------------------------------------------------- lookups and energy

def test_lookup_is_case_insensitive_and_lists_names():
    assert get_hardware(" H100-SXM ").key == "h100-sxm"
    with pytest.raises(RidgelineError, match="unknown hardware 'h200'.*h100-sxm"):
        get_hardware("h200")
    assert ridgeline.get_hardware(get_hardware("a100-80gb")).key == "a100-80gb"


def test_energy_table_walk():
    known = sources()
    for node, table in _tables().items():
        for dtype, fig in table.items():
            assert 1e-14 <= fig.value <= 1e-10, (node, dtype)   # sub-pJ .. a few pJ per op
            assert fig.source in known and fig.estimate
        for name in ridgeline.DTYPES:
            energy_per_flop(name, node)                   # every format has a figure per node
    # Jouppi 2021, 7 nm (J21): FP32 (1.31 mult + 0.38 add) / 2 = 0.845 pJ per FLOP
    assert energy_per_flop("fp32").value == pytest.approx(0.845e-12)
    # Horowitz 2014, 45 nm (S22): FP32 (3.7 + 0.9) / 2 = 2.3 pJ per FLOP
    assert energy_per_flop("fp32", "45nm").value == pytest.approx(2.3e-12)
    assert energy_per_flop("int8").value < energy_per_flop("bf16").value < energy_per_flop("fp32").value


def test_energy_ridge_dram_vs_sram():
    # DDR 162.5 pJ/B vs 7 nm FP32 0.845 pJ/FLOP -> 192 FLOP/B; 7 nm 1 MB SRAM 1.75 pJ/B -> 2.07
    assert energy_ridge("fp32", 162.5e-12) == pytest.approx(192.3, abs=0.1)
    assert energy_ridge("fp32", 1.75e-12) == pytest.approx(2.07, abs=0.01)
