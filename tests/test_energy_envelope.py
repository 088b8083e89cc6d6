"""Energy that fits the device: every device, power mode and precision stays inside its TDP.

Power of a run = E / t = P_static + (F.e_op + B.e_byte) / t. A large GEMM at full peak
(t = F / peak) must draw 20-100 % of the TDP (or the mode's budget); a memory-bound GEMV at
full memory bandwidth (t = B / BW) must not exceed it. Sources: data/energy.toml (J21, S22,
S45-S47), data/hardware.toml (static_w, energy_per_byte).
"""

from __future__ import annotations

import pytest

from ridgeline.energy import energy_per_flop, energy_ridge, op_energy
from ridgeline.errors import RidgelineError
from ridgeline.hardware import registry, sources
from ridgeline.ops import Gemm
from ridgeline.roofline import estimate

CASES = [(key, dtype) for key, hw in sorted(registry().items()) for dtype in hw.dtypes]


def _power(e) -> float:
    return float(e.energy_j / e.time_s)


def _tdp(hw) -> float:
    return hw.tdp_w.value


@pytest.mark.parametrize(("key", "dtype"), CASES)
def test_compute_bound_gemm_draws_20_to_100_percent_of_tdp(key, dtype):
    hw = registry()[key]
    # 8192^3: intensity 2.8192^3 / (3.8192^2.s) = 5461/s FLOP/B, far above every ridge
    # (H100 fp8: 1979e12 / 3.35e12 = 591). The engine ridgeline.op calls, with the weights
    # kept in memory (an MCU would stream 8192^2 weights from flash; see the flash test).
    e = estimate(Gemm(8192, 8192, 8192), hw, dtype, weights_in="memory")
    assert e.bound == "compute"
    p, tdp = _power(e), _tdp(hw)
    # e.g. h100-sxm bf16: 989.4e12 x 0.2065 pJ = 204 W + HBM 17 W + static 70 W = 292 W = 42 %
    assert 0.2 * tdp <= p <= tdp, (
        f"{key} {dtype}: {p:.4g} W = static {e.static_w:.3g} W + compute "
        f"{float(e.energy_compute_j / e.time_s):.4g} W + memory {float(e.energy_memory_j / e.time_s):.4g} W "
        f"is {p / tdp:.0%} of {tdp:g} W")


@pytest.mark.parametrize(("key", "dtype"), CASES)
def test_memory_bound_gemv_at_full_bandwidth_fits_the_tdp(key, dtype):
    hw = registry()[key]
    # 1 x 2048 x 2048: weights 4 MiB x s dominate; intensity ~2/s FLOP/B, far below any ridge
    e = estimate(Gemm(1, 2048, 2048), hw, dtype, weights_in="memory")
    if hw.ridge(dtype) > e.intensity:   # memory-bound: bytes at full bandwidth
        assert e.bound == "memory"
        assert float(e.bytes.total / e.time_s) == pytest.approx(hw.bandwidth)
    else:                               # cortex-m7 int8: ridge 1.92e9 / 1.92e9 = 1 < 2 op/B
        assert hw.ridge(dtype) <= 2.0
    p, tdp = _power(e), _tdp(hw)
    # e.g. jetson-agx-orin:15w: 204.8e9 B/s x 50.4 pJ/B = 10.3 W + static 3 W = 13.3 W <= 15 W
    assert p <= tdp, (f"{key} {dtype}: {p:.4g} W = static {e.static_w:.3g} W + memory "
                      f"{float(e.energy_memory_j / e.time_s):.4g} W > {tdp:g} W")


@pytest.mark.parametrize("key", sorted(registry()))
def test_static_power_and_op_energies_are_cited(key):
    hw, known = registry()[key], sources()
    assert hw.static_w is not None and 0 < hw.static_w.value < hw.tdp_w.value
    assert hw.static_w.source in known and hw.static_w.estimate
    for dtype in hw.dtypes:
        f = op_energy(hw, dtype)
        assert 1e-14 <= f.value <= 1e-10 and f.source in known and f.estimate, (key, dtype)
    for fig in hw.op_overhead.values():
        assert fig.source in known and fig.estimate


def test_op_energy_known_answers():
    # Jouppi 2021 (7 nm): bf16 MAC = BF16 mult 0.21 + FP32 add 0.38 = 0.59 pJ -> 0.295 pJ/FLOP
    assert energy_per_flop("bf16").value == pytest.approx(0.295e-12)
    # A100 (N7, tensor core): the table as published
    assert op_energy("a100-80gb", "bf16").value == pytest.approx(0.295e-12)
    # H100 (TSMC 4N, N5 family): x 0.70 (TSMC N5 vs N7) = 0.2065 pJ
    assert op_energy("h100-sxm", "bf16").value == pytest.approx(0.2065e-12)
    # H100 fp32 on CUDA cores: (0.845 + 2.25 register file) x 0.70 = 2.1665 pJ
    assert op_energy("h100-sxm", "fp32").value == pytest.approx(2.1665e-12)
    # Cortex-M7 (45 nm table): int8 (0.2 + 0.1) / 2 + 70 pJ / 4 op per SMLAD = 17.65 pJ
    assert op_energy("cortex-m7", "int8").value == pytest.approx(17.65e-12)
    # energy ridge on HBM: 48 pJ/B / 0.2065 pJ = 232 FLOP/B
    assert energy_ridge("bf16", 48e-12, "h100-sxm") == pytest.approx(232.4, abs=0.1)
    with pytest.raises(RidgelineError, match="no energy table"):
        energy_per_flop("bf16", "3nm")


def test_static_energy_and_power_at_a_rate():
    e = estimate(Gemm(4096, 4096, 4096), "h100-sxm", "bf16")
    # static energy = 70 W x t
    assert e.energy_static_j == pytest.approx(70.0 * e.time_s)
    assert e.to_dict()["static_w"] == 70.0
    # P = P_static + (E_compute + E_memory) x rate, idle fraction 1 - t x rate still pays P_static
    rate = 100.0
    assert e.power_w(rate) == pytest.approx(70.0 + (e.energy_compute_j + e.energy_memory_j) * rate)
    assert (e + e).static_w == 70.0                     # same device: static power does not add
    with pytest.raises(RidgelineError, match="cannot run this"):
        e.power_w(2 / e.time_s)                          # busy 2 x the time available
    assert e.power_demand_w(2 / e.time_s) > e.power_w(1 / e.time_s)
