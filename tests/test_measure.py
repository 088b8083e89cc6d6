"""`ridgeline measure`: timing, the measured device's cache, the comparison arithmetic, the
--json contract, and bad caches. Tiny sizes and fake clocks/probes: no test times a real
kernel for long (the real probes run once each at toy sizes, to show they execute)."""

from __future__ import annotations

import json
import re

import pytest

from ridgeline import cli
from ridgeline.energy import op_energy
from ridgeline.errors import RidgelineError
from ridgeline.hardware import get_hardware, machine_file, sources
from ridgeline.measure import compare, device, probes, runner, suite, system, timing
from ridgeline.ops import Attention, Conv2d, Gemm
from ridgeline.roofline import estimate

GB = 1e9
MiB = 1024 * 1024
LEVELS = [  # the measured hierarchy the tests use: caches smallest first, DRAM last
    {"name": "L1", "capacity": 32768.0, "bandwidth": 100 * GB, "copy": 100 * GB, "triad": 90 * GB,
     "array_bytes": 16384, "spread": 0.1},
    {"name": "L2", "capacity": 1.0 * MiB, "bandwidth": 80 * GB, "copy": 80 * GB, "triad": 70 * GB,
     "array_bytes": MiB // 2, "spread": 0.1},
    {"name": "L3", "capacity": 32.0 * MiB, "bandwidth": 50 * GB, "copy": 50 * GB, "triad": 40 * GB,
     "array_bytes": 16 * MiB, "spread": 0.1},
    {"name": "DRAM", "capacity": 0.0, "bandwidth": 10 * GB, "copy": 10 * GB, "triad": 9 * GB,
     "array_bytes": 256 * MiB, "spread": 0.2},
]
PEAKS = {"fp32": {"backend": "numpy:cpu", "dtype": "fp32", "n": 1024, "flops_per_s": 50 * GB, "spread": 0.05},
         "fp64": {"backend": "numpy:cpu", "dtype": "fp64", "n": 1024, "flops_per_s": 25 * GB, "spread": 0.05}}
META = {"measured_at": "2026-01-01 00:00 UTC", "load_average": [1.0, 1.5, 2.0], "threads": 2,
        "cpu": "Test CPU", "blas": "test-blas", "ram_bytes": 8e9, "quick": True}


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RIDGELINE_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def machine(data_dir):
    """A cached this-machine built from the synthetic probes above."""
    entry = device.build_entry(META, LEVELS, PEAKS)
    device.save({"entry": entry, "device": device.device_json(entry, LEVELS, META, {}),
                 "layers": [], "summary": compare.summary([])})
    return get_hardware("this-machine")


# ---------------------------------------------------------------- timing


def test_from_samples_median_and_spread():
    # samples of 10 calls each: 20, 22, 30 ms -> median 22 ms / 10 = 2.2 ms; spread (30-20)/22
    t = timing.from_samples([0.020, 0.030, 0.022], inner=10, warmup=2)
    assert t.median_s == pytest.approx(0.0022)
    assert t.spread == pytest.approx(10 / 22)
    assert (t.repeats, t.warmup, t.inner) == (3, 2, 10)


def test_time_kernel_calibrates_inner_loops_with_a_fake_clock():
    # every call advances the clock 1 ms: a 5 ms minimum sample needs inner = 5 calls
    now, calls = [0.0], [0]

    def kernel():
        calls[0] += 1
        now[0] += 0.001
    t = timing.time_kernel(kernel, timing.Plan(repeats=4, warmup=2, min_sample_s=0.005),
                           clock=lambda: now[0])
    assert t.inner == 5 and t.median_s == pytest.approx(0.001) and t.spread == pytest.approx(0)
    assert calls[0] == 2 + 1 + 4 * 5  # warm-up, calibration, samples


# ---------------------------------------------------------------- the measured device


def test_cache_round_trip_gives_a_device(machine, data_dir):
    assert machine_file() == data_dir / "this-machine.json"
    hw = machine
    assert hw.key == "this-machine" and hw.peak("fp32") == 50 * GB
    assert hw.bandwidth == 10 * GB and hw.memory.name == "DRAM"
    assert hw.onchip.name == "L3" and hw.onchip.capacity.value == 32 * MiB
    assert hw.onchip.bandwidth.value == 50 * GB and hw.onchip.tile.value == MiB
    assert "fp64" not in hw.peaks           # the engine has no fp64 format: JSON only
    assert hw.ridge("fp32") == pytest.approx(5.0)  # 50 GFLOP/s / 10 GB/s
    assert get_hardware(" This-Machine ") is hw   # same lookup rules as every device


def test_measured_figures_cite_m1_and_energy_is_flagged_assumed(machine):
    figs = machine.figures()
    assert figs["peak.fp32"].source == "M1" and not figs["peak.fp32"].estimate
    assert "load 1.00/1.50/2.00" in figs["memory.bandwidth"].note
    for key in ("tdp_w", "static_w", "memory.energy_per_byte", "onchip.energy_per_byte"):
        assert figs[key].estimate and figs[key].note.startswith("assumed, not measured")
    assert all(f.source in sources() for f in figs.values())
    assert op_energy(machine, "fp32").value > 0


def test_profile_and_estimate_run_on_this_machine(machine, capsys):
    # GEMV 4096x4096 fp32: 67,141,632 B at 10 GB/s = 6.71 ms > 33.6 MFLOP at 50 GFLOP/s
    e = estimate(Gemm(1, 4096, 4096), "this-machine", "fp32")
    assert e.time_s == pytest.approx(67_141_632 / 10e9) and e.bound == "memory"
    rc = cli.main(["profile", "llama-3-8b", "--hardware", "this-machine", "--dtype", "fp32"])
    assert rc == 0, capsys.readouterr().err


def test_absent_cache_says_run_measure(data_dir, capsys):
    with pytest.raises(RidgelineError, match="run `ridgeline measure`"):
        get_hardware("this-machine")
    rc = cli.main(["op", "gemm", "--m", "8", "--n", "8", "--k", "8", "--hardware", "this-machine"])
    err = capsys.readouterr().err
    assert rc == 2 and "not been measured yet" in err and err.count("\n") == 1


@pytest.mark.parametrize("text", ["{not json", "[]", '{"entry": {"name": "x"}}', ""])
def test_corrupt_cache_is_one_line_with_the_remeasure_hint(data_dir, capsys, text):
    (data_dir / "this-machine.json").write_text(text)
    with pytest.raises(RidgelineError, match="unreadable.*re-measure"):
        get_hardware("this-machine")
    for argv in (["measure", "--cached"], ["hardware", "this-machine"]):
        rc = cli.main(argv)
        err = capsys.readouterr().err
        assert rc == 2 and "re-measure" in err and err.count("\n") == 1, (argv, err)


# ---------------------------------------------------------------- the comparison


def _timing(seconds, spread=0.1):
    return timing.Timing(seconds, spread, 5, 2, 1)


def test_compare_known_answer_memory_bound_gemv(machine):
    # F = 2.4096.4096 = 33,554,432; B = (4096 + 4096^2 + 4096) x 4 = 67,141,632 B
    # predicted = B / 10 GB/s = 6.714 ms (memory); measured 13.43 ms -> ratio 2.00
    est = estimate(Gemm(1, 4096, 4096), machine, "fp32")
    row = compare.compare("gemv", "gemm", est, _timing(2 * 67_141_632 / 10e9), 50e9, LEVELS)
    assert row["ratio"] == pytest.approx(2.0)
    assert row["achieved_flops"] == pytest.approx(33_554_432 / (2 * 67_141_632 / 10e9))
    assert row["roof_flops"] == pytest.approx(33_554_432 / (67_141_632 / 10e9))
    # 67 MB > L3 (33.6 MB): served by DRAM; 13.4 ms < 4 x 6.71 ms -> memory, agreeing
    assert (row["level"], row["predicted_bound"], row["measured_bound"]) == ("DRAM", "memory", "memory")
    assert row["note"] == ""


def test_compare_above_the_roof_is_explained(machine):
    # 512^3 GEMM: F = 268,435,456 at 50 GFLOP/s = 5.37 ms predicted (compute); measured 4 ms
    est = estimate(Gemm(512, 512, 512), machine, "fp32")
    row = compare.compare("sq", "gemm", est, _timing(0.004), 50e9, LEVELS)
    assert row["ratio"] == pytest.approx(0.004 / (268_435_456 / 50e9))
    assert row["ratio"] < 1 and "faster than the measured GEMM peak" in row["note"]


def test_memory_bound_layer_in_cache_is_explained_by_the_level(machine):
    # depthwise 3x3 on 64 ch at 56x56: F = 2.64.56.56.9 = 3.61 MFLOP, B = (2.64.56.56 + 64.9)
    # x 4 = 1.61 MB -> 161 us at 10 GB/s (memory); measured 107 us = 33.7 GFLOP/s < peak 50,
    # so the explanation is the cache: 1.61 MB fits L3 (50 GB/s)
    est = estimate(Conv2d(1, 64, 64, 56, 56, 3, 3, 1, 1, 1, 64), machine, "fp32")
    assert est.bound == "memory" and est.bytes.total == (2 * 64 * 56 * 56 + 64 * 9) * 4
    row = compare.compare("dw", "conv2d", est, _timing(float(est.time_s) / 1.5), 50e9, LEVELS)
    assert row["level"] in ("L2", "L3") and "fits" in row["note"] and "DRAM" in row["note"]


def test_measured_bound_hierarchical_and_neither():
    # 1 GFLOP, 1 MB working set -> L2 (80 GB/s): t_mem 12.5 us << t_comp 20 ms -> compute
    assert compare.measured_bound(1e9, 1e6, 0.021, 50e9, LEVELS)[0] == "compute"
    # 1 MFLOP, 100 MB -> DRAM: t_mem 10 ms >> 20 us -> memory; 50 ms > 4 x 10 ms -> neither
    assert compare.measured_bound(1e6, 1e8, 0.011, 50e9, LEVELS)[0] == "memory"
    assert compare.measured_bound(1e6, 1e8, 0.050, 50e9, LEVELS)[0] == "neither"
    assert compare.serving_level(2e6, LEVELS)["name"] == "L3"


def test_summary_known_answers():
    rows = [{"ratio": r, "predicted_bound": p, "measured_bound": m} for r, p, m in
            [(0.5, "memory", "memory"), (1.5, "compute", "compute"), (3.0, "memory", "neither"),
             (1.2, "compute", "memory")]]
    s = compare.summary(rows)
    assert s["under_roof_share"] == 0.75          # 1.5, 3.0, 1.2 are >= 1
    assert s["median_ratio"] == pytest.approx(1.35)  # (1.2 + 1.5) / 2
    assert s["worst_ratio"] == 3.0                # |ln 3| = 1.10 > |ln 0.5| = 0.69
    assert s["bound_agreement"] == 0.5 and s["layers"] == 4
    assert compare.summary([])["median_ratio"] is None


# ---------------------------------------------------------------- the command and its contract


def _fake_probes(monkeypatch):
    """Probes and timers replaced: the run is instant and its numbers are known."""
    by_name = {lv["name"]: lv for lv in LEVELS}
    monkeypatch.setattr(runner, "measure_level",
                        lambda b, name, size, plan: dict(by_name.get(name, LEVELS[-1]), name=name))
    monkeypatch.setattr(runner, "measure_peak", lambda b, dtype, plan, budget: dict(
        PEAKS.get(dtype, PEAKS["fp32"]), dtype=dtype))
    monkeypatch.setattr(system, "cache_levels", lambda: [
        {"name": lv["name"], "capacity": lv["capacity"], "shared_by": 1, "assumed": False}
        for lv in LEVELS[:-1]])
    monkeypatch.setattr(system, "cuda_available", lambda: False)
    specs = [suite.Spec("gemv 64", Gemm(1, 64, 64)), suite.Spec("square 32", Gemm(32, 32, 32))]
    monkeypatch.setattr(runner, "suite", lambda quick, torch_ok: (specs, []))
    monkeypatch.setattr(runner, "time_kernel", lambda fn, plan, sync=None: _timing(1e-3))


def test_json_contract(data_dir, monkeypatch, capsys):
    _fake_probes(monkeypatch)
    assert cli.main(["measure", "--quick", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"device", "layers", "summary"}
    dev = out["device"]
    assert {"key", "bandwidth", "peaks", "levels", "blas", "threads"} <= set(dev)
    assert dev["key"] == "this-machine" and dev["bandwidth"] == 10 * GB
    assert dev["peaks"]["fp32"] == 50 * GB and dev["peaks"]["fp64"] == 25 * GB
    assert [lv["name"] for lv in dev["levels"]] == ["L1", "L2", "L3", "DRAM"]
    assert all({"name", "capacity", "bandwidth"} <= set(lv) for lv in dev["levels"])
    keys = {"name", "kind", "flops", "bytes", "predicted_time_s", "measured_time_s", "spread",
            "achieved_flops", "roof_flops", "predicted_bound", "measured_bound"}
    assert len(out["layers"]) == 2 and all(keys <= set(r) for r in out["layers"])
    sq = out["layers"][1]  # 2.32^3 = 65,536 FLOP in 1 ms -> 65.5 MFLOP/s achieved
    assert sq["flops"] == 65_536 and sq["achieved_flops"] == pytest.approx(65.536e6)
    assert sq["measured_time_s"] / sq["predicted_time_s"] == pytest.approx(sq["ratio"])
    assert set(out["summary"]) >= {"under_roof_share", "median_ratio", "worst_ratio", "bound_agreement"}
    assert out["summary"]["under_roof_share"] == 1.0  # 1 ms >> microsecond predictions
    assert get_hardware("this-machine").peak("fp32") == 50 * GB   # cached on the way


def test_text_report_and_cached(data_dir, monkeypatch, capsys):
    _fake_probes(monkeypatch)
    assert cli.main(["measure", "--quick"]) == 0
    text = capsys.readouterr().out
    assert "load average" in text and "under the roof: 100% of 2 layers" in text
    assert cli.main(["measure", "--cached"]) == 0
    assert capsys.readouterr().out == text


def test_progress_bar_draws_only_on_a_terminal():
    from ridgeline.cli.measuring import progress_bar

    class Tty(list):
        def write(self, s):
            self.append(s)

        def flush(self):
            pass

        def isatty(self):
            return True
    tty = Tty()
    draw = progress_bar(tty)
    draw(7, 14, "bandwidth L2")
    draw(14, 14, "done")
    assert tty[0].startswith("\r[" + "#" * 14 + "." * 14 + "] 7/14 bandwidth L2") and tty[1].endswith("\n")
    quiet = Tty()
    quiet.isatty = lambda: False
    progress_bar(quiet)(1, 2, "x")
    assert quiet == []


# ---------------------------------------------------------------- the real probes, at toy sizes


def test_parse_sysfs_caches(tmp_path):
    for i, (level, kind, size, cpus) in enumerate([(1, "Data", "32K", "0"), (1, "Instruction", "32K", "0"),
                                                   (2, "Unified", "1024K", "0"), (3, "Unified", "32M", "0-1")]):
        d = tmp_path / f"index{i}"
        d.mkdir()
        for name, value in (("level", level), ("type", kind), ("size", size), ("shared_cpu_list", cpus)):
            (d / name).write_text(f"{value}\n")
    got = system.cache_levels(tmp_path)
    assert [(c["name"], c["capacity"], c["shared_by"]) for c in got] == [
        ("L1", 32768, 1), ("L2", 1048576, 1), ("L3", 33554432, 2)]
    assert all(c["assumed"] for c in system.cache_levels(tmp_path / "missing"))


def test_real_probes_run_at_toy_sizes():
    plan = timing.Plan(repeats=1, warmup=0, min_sample_s=0.0)
    lv = probes.measure_level(probes.Backend("numpy"), "L1", 12 * 1024, plan)
    assert lv["bandwidth"] == max(lv["copy"], lv["triad"]) > 0
    pk = probes.measure_peak(probes.Backend("numpy"), "fp64", plan, budget_s=1e-9, sizes=(16, 32))
    assert pk["n"] == 16 and pk["flops_per_s"] > 0  # the budget stops after the first size
    sizes = probes.level_sizes([{"name": "L3", "capacity": 32 * MiB, "assumed": False}], quick=False)
    assert sizes[-1][:2] == ("DRAM", 256 * MiB)  # 8 x the last-level cache


def test_suite_kernels_match_their_operators():
    torch = pytest.importorskip("torch")
    backend = probes.Backend("torch")
    conv = suite.Spec("dw", Conv2d(1, 8, 8, 9, 9, 3, 3, 2, 1, 1, 8), True)
    out = suite.kernel(conv, backend, "fp32")()
    assert tuple(out.shape) == (1, 8, conv.op.out_height, conv.op.out_width) == (1, 8, 5, 5)
    att = suite.Spec("dec", Attention(1, 4, 4, 16, 32, "decode", True, False), True)
    assert tuple(suite.kernel(att, backend, "fp32")().shape) == (1, 4, 1, 16)
    gemm = suite.kernel(suite.Spec("g", Gemm(3, 5, 7)), probes.Backend("numpy"), "fp32")()
    assert gemm.shape == (3, 5) and isinstance(torch.__version__, str)
    run, skipped = suite.suite(quick=True, torch_available=False)
    assert skipped and run and all(isinstance(s.op, Gemm) for s in run)


# ---------------------------------------------------------------- the lab's "Your machine"


def test_lab_your_machine_without_a_cache_says_how(data_dir):
    from ridgeline.lab.machine import your_machine
    text, chart = your_machine()
    assert "ridgeline measure" in text and chart is None


def test_lab_your_machine_overlays_measured_points(data_dir, monkeypatch):
    from ridgeline.lab import machine as M
    _fake_probes(monkeypatch)
    assert cli.main(["measure", "--quick", "--json"]) == 0
    data = M.machine_roofline(M.load_report())
    assert data["ridge"] == pytest.approx(5.0)              # 50 GFLOP/s / 10 GB/s
    assert data["roof"][-1]["attainable"] == 50 * GB       # flat at the peak past the ridge
    sq = next(p for p in data["measured"] if p["layer"] == "square 32")
    # 65,536 FLOP over 3.32^2.4 = 12,288 B = 5.33 FLOP/B; measured 65.5 MFLOP/s
    assert sq["intensity"] == pytest.approx(65_536 / 12_288) and sq["attainable"] == pytest.approx(65.536e6)
    assert {p["level"] for p in data["levels"]} == {"L1", "L2", "L3"}
    text, chart = M.your_machine()
    assert "Under the roof: 100% of 2 layers" in text
    assert re.search(r"load average \d+\.\d\d/\d+\.\d\d/\d+\.\d\d, \d+ threads", text)
    marks = [layer["mark"] for layer in chart.layers]
    assert {"type": "point", "shape": "diamond", "filled": True, "size": 60, "color": "black"} in marks
    json.loads(chart._mime_()[1])  # a valid, finite spec


def test_progress_counts_every_step_once(data_dir, monkeypatch):
    # 4 levels + one step per (backend, dtype) peak + 2 layers, counted 0..total, then done
    _fake_probes(monkeypatch)
    seen = []
    runner.measure(quick=True, progress=lambda done, total, label: seen.append((done, total, label)))
    total = seen[0][1]
    assert [d for d, _, _ in seen] == list(range(total + 1))
    assert all(t == total for _, t, _ in seen) and seen[-1][2] == "done"
    assert total == 4 + len(runner.plan_steps(True, system.has_torch(), False)[1]) + 2


def test_a_cache_level_slower_than_a_larger_one_is_noted():
    # L1 6 GB/s < L2 59 GB/s: overhead-limited; L2 59 < L3 67: noted too; L3 > DRAM: fine
    levels = [{"name": n, "bandwidth": b * GB} for n, b in
              (("L1", 6), ("L2", 59), ("L3", 67), ("DRAM", 18))]
    notes = [lv["note"] for lv in probes.flag_slow_levels(levels)]
    assert notes[0].startswith("below L2's bandwidth") and notes[1].startswith("below L3's")
    assert notes[2:] == ["", ""]


def test_probes_use_the_best_trial_and_layers_the_median():
    # samples 10, 30, 12 ms of 2 calls: median 6 ms/call for layers, best 5 ms/call for roofs
    t = timing.from_samples([0.010, 0.030, 0.012], inner=2, warmup=0)
    assert (t.median_s, t.best_s) == (pytest.approx(0.006), pytest.approx(0.005))


def test_a_gemv_faster_than_the_dram_probe_is_explained(machine):
    # GEMV: 67.1 MB in 4.0 ms = 16.8 GB/s > the 10 GB/s DRAM probe (67 MB > L3: no cache)
    est = estimate(Gemm(1, 4096, 4096), machine, "fp32")
    row = compare.compare("gemv", "gemm", est, _timing(0.004), 50e9, LEVELS)
    assert row["ratio"] < 1 and row["note"].startswith("it streamed 16.8 GB/s, more than the 10 GB/s")


def test_hardware_listing_shows_this_machine_only_when_measured(data_dir, capsys):
    # no cache: the listing is the registry alone (exit 0); once measured, it is listed too
    from ridgeline import cli
    assert cli.main(["hardware", "--json"]) == 0
    assert "this-machine" not in [d["key"] for d in json.loads(capsys.readouterr().out)]
    entry = device.build_entry(META, LEVELS, PEAKS)
    device.save({"entry": entry, "device": device.device_json(entry, LEVELS, META, {}),
                 "layers": [], "summary": compare.summary([])})
    assert cli.main(["hardware", "--json"]) == 0
    assert "this-machine" in [d["key"] for d in json.loads(capsys.readouterr().out)]
