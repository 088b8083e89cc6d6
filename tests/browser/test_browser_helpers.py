"""The browser helpers, proven against a fixture notebook (fixtures/widgets_app.py).

Each widget's value is echoed by the notebook, so every helper is checked end to end: the
browser action must reach the kernel and come back as the echoed value.
"""

from __future__ import annotations

import json

import pytest
from marimo_dom import (
    deep_text,
    download,
    fill_number,
    fill_text,
    form,
    is_disabled,
    open_app,
    options,
    parse_quantity,
    select,
    selected,
    set_slider,
    set_switch,
    slider_value,
    submit_enabled,
    submit_form,
    value_after,
    wait_idle,
)


@pytest.fixture
def app(page, widgets_server):
    open_app(page, widgets_server.url)
    return page


def echo(page, name: str) -> str:
    """The echoed value of ``name`` (the rest of the line ``<name> value: ...``)."""
    text = deep_text(page)
    prefix = name if name.endswith("length") else f"{name} value"
    line = next(ln for ln in text.splitlines() if ln.startswith(f"{prefix}:"))
    return line.split(":", 1)[1].strip()


@pytest.mark.browser
def test_first_render_is_idle_with_defaults(app):
    assert echo(app, "Track") == "Cloud Titan"
    assert echo(app, "Batch") == "8"
    assert selected(app, "Layer") == "q_proj"
    assert options(app, "Track") == ["Cloud Titan", "Edge Guardian"]


@pytest.mark.browser
def test_select_radio_and_dropdown_by_label(app):
    select(app, "Track", "Edge Guardian", page=app)
    select(app, "Layer", "attention", page=app)
    assert echo(app, "Track") == "Edge Guardian"
    assert echo(app, "Layer") == "attention"
    assert selected(app, "Track") == "Edge Guardian"


@pytest.mark.browser
def test_set_slider_far_and_near(app):
    # Batch: 1..256 step 1 with a value input; Sequence length: 128..8192 step 128.
    assert set_slider(app, app, "Batch", 200) == 200
    assert echo(app, "Batch") == "200"
    assert set_slider(app, app, "Batch", 198) == 198
    assert echo(app, "Batch") == "198"
    assert set_slider(app, app, "Sequence length", 4096) == 4096
    assert echo(app, "Scale") == "4096"
    # off-grid values snap to the step: 1000 -> 1024 (8 x 128)
    assert set_slider(app, app, "Sequence length", 1000) == 1024
    assert slider_value(app, "Sequence length") == 1024


@pytest.mark.browser
def test_switch(app):
    set_switch(app, app, "Math peek", True)
    assert echo(app, "Peek") == "True"
    set_switch(app, app, "Math peek", False)
    assert echo(app, "Peek") == "False"


@pytest.mark.browser
def test_form_submit_by_label(app):
    lock = form(app, "Lock prediction")
    assert lock.count() == 1
    select(lock, "Which hits the memory wall?", "Conv")
    fill_number(lock, "Your intensity (FLOP/B)", 12.5)
    assert echo(app, "Lock") == "None"  # nothing reaches the kernel before submit
    submit_form(app, lock, "Lock prediction")
    assert echo(app, "Lock") == "{'choice': 'Conv', 'number': 12.5}"
    assert submit_enabled(app, "Lock prediction")
    assert not is_disabled(lock, "Which hits the memory wall?")


@pytest.mark.browser
def test_hostile_text_area_round_trip(app):
    hostile = ("<script>alert(1)</script> **bold** ünïcødé 🚀 $x^2$\n" * 200)[:10_000]
    fill_text(app, "Reflection", hostile)
    submit_form(app, app, "Save reflection")
    assert echo(app, "Reflection length") == "10000"
    assert app.locator("script", has_text="alert(1)").count() == 0


@pytest.mark.browser
def test_gate_text_shown_and_gated_output_absent(app):
    assert app.get_by_text("Lock your prediction to open the workbench").count() == 1
    assert "Hidden card MACs" not in deep_text(app)


@pytest.mark.browser
def test_download_reflects_state(app):
    select(app, "Layer", "ffn_up", page=app)
    set_slider(app, app, "Batch", 32)
    data = json.loads(download(app, app, "Download report (JSON)"))
    assert data == {"track": "Cloud Titan", "layer": "ffn_up", "batch": 32}


@pytest.mark.browser
def test_wait_idle_after_reload(app):
    app.reload()
    wait_idle(app)
    assert echo(app, "Batch") == "8"  # a new session starts from the defaults


def test_parse_quantity_reads_the_lab_formats():
    assert parse_quantity("4.09 GMAC", "MAC") == pytest.approx(4.09e9)
    assert parse_quantity("42.1 ms", "s") == pytest.approx(0.0421)
    assert parse_quantity("1,365 FLOP/B", "FLOP/B") == 1365
    assert parse_quantity("8.18e+09 FLOP", "FLOP") == pytest.approx(8.18e9)
    assert value_after("MACs: 1.07 TMAC · FLOPs: 2.15 TFLOP", "FLOPs", "FLOP") == pytest.approx(2.15e12)
    with pytest.raises(ValueError):
        parse_quantity("no number here", "B")
