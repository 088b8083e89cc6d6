"""The lab's "Your machine" section in Chromium: with a cached ``this-machine`` (written here
from known figures, nothing is measured) the section shows the device, the validation
summary and the roofline chart with the measured points."""

from __future__ import annotations

import pytest
from lab_ui import open_lab
from marimo_dom import TIMEOUT_MS, cell_containing, deep_text, wait_idle

from ridgeline.measure import compare, device

GB = 1e9
LEVELS = [{"name": "L3", "capacity": 32.0 * 2**20, "bandwidth": 50 * GB, "copy": 50 * GB,
           "triad": 40 * GB, "array_bytes": 2**24, "spread": 0.1},
          {"name": "DRAM", "capacity": 0.0, "bandwidth": 10 * GB, "copy": 10 * GB,
           "triad": 9 * GB, "array_bytes": 2**28, "spread": 0.1}]
META = {"measured_at": "2026-01-01 00:00 UTC", "load_average": [1.0, 1.5, 2.0], "threads": 2,
        "cpu": "Browser Test CPU", "blas": "test-blas", "ram_bytes": 8e9, "quick": True}
PEAKS = {"fp32": {"backend": "numpy:cpu", "dtype": "fp32", "n": 1024, "flops_per_s": 50 * GB,
                  "spread": 0.05}}


def _row(name, flops, nbytes, t_pred, t_meas, pred, meas):
    return {"name": name, "kind": "gemm", "flops": flops, "bytes": nbytes,
            "predicted_time_s": t_pred, "measured_time_s": t_meas, "spread": 0.1,
            "achieved_flops": flops / t_meas, "roof_flops": flops / t_pred,
            "predicted_bound": pred, "measured_bound": meas, "ratio": t_meas / t_pred, "note": ""}


@pytest.mark.browser
def test_your_machine_shows_the_cached_measurement(page, lab_factory, tmp_path, monkeypatch):
    # two layers: ratios 2.0 (under the roof) and 0.5 (above it) -> 50 % under, bounds agree 1/2
    rows = [_row("gemv", 3.4e7, 6.7e7, 6.7e-3, 1.34e-2, "memory", "memory"),
            _row("square", 2.7e8, 3.1e6, 5.4e-3, 2.7e-3, "compute", "neither")]
    entry = device.build_entry(META, LEVELS, PEAKS)
    device.save({"entry": entry, "device": device.device_json(entry, LEVELS, META, {"fp32": 50 * GB}),
                 "layers": rows, "summary": compare.summary(rows)}, tmp_path / "this-machine.json")
    monkeypatch.setenv("RIDGELINE_DATA_DIR", str(tmp_path))  # the server inherits it
    srv = lab_factory()
    open_lab(page, srv.url)
    wait_idle(page)
    cell = cell_containing(page, "Under the roof").first
    cell.wait_for(timeout=TIMEOUT_MS)
    text = deep_text(cell)
    assert "Your machine" in text and "Browser Test CPU" in text and "this-machine" in text
    assert "Under the roof: 50% of 2 layers" in text and "bound agreement 50%" in text
    cell.locator("canvas, svg").first.wait_for(timeout=TIMEOUT_MS)  # the chart was drawn
