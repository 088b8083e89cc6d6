"""Progress is per track and per ledger, not per tab: switching tracks, two tabs, first lock wins.
"""

from __future__ import annotations

import pytest
from lab_ui import GATE_TEXT, lock, open_lab, part, part_text, pick_track
from marimo_dom import fill_text, submit_enabled, submit_form
from servers import ledger_entries


@pytest.mark.browser
def test_switching_track_keeps_progress_apart(page, lab_factory):
    srv = lab_factory()
    open_lab(page, srv.url)
    pick_track(page, "Cloud Titan")
    cloud_choice = lock(page, 1, choice_index=0, number=8.0)
    assert "Locked at" in part_text(page, 1)

    pick_track(page, "Edge Guardian")
    text = part_text(page, 1)
    assert GATE_TEXT in text and "Locked at" not in text, "Cloud's lock leaked into Edge"
    edge_choice = lock(page, 1, choice_index=1, number=123.0)

    pick_track(page, "Cloud Titan")
    checked = part(page, 1).locator('[role=radio][aria-checked="true"]')
    assert checked.first.get_attribute("value") == cloud_choice
    pick_track(page, "Mobile Nomad")
    assert GATE_TEXT in part_text(page, 1)

    locks = {(e["track"], e["payload"]["part"]): e["payload"]["choice"]
             for e in ledger_entries(srv.ledger) if e["kind"] == "lock"}
    assert locks == {("cloud", 1): cloud_choice, ("edge", 1): edge_choice}
    srv.stop()


@pytest.mark.browser
def test_first_lock_wins_across_tabs(context, lab_factory):
    srv = lab_factory()
    a, b = context.new_page(), context.new_page()
    for pg in (a, b):
        open_lab(pg, srv.url)
        pick_track(pg, "Tiny Pioneer")
    first = lock(a, 1, choice_index=0, number=1.0)
    # tab b opened before the lock: it may still offer the form; its lock must not win
    if submit_enabled(part(b, 1), "Lock prediction"):
        lock(b, 1, choice_index=2, number=999.0)
    stored = [e for e in ledger_entries(srv.ledger) if e["kind"] == "lock"]
    firsts = [e for e in stored if e["payload"]["part"] == 1 and e["track"] == "tiny"]
    assert firsts and firsts[0]["payload"]["choice"] == first
    for pg in (a, b):
        open_lab(pg, srv.url)
        pick_track(pg, "Tiny Pioneer")
        checked = part(pg, 1).locator('[role=radio][aria-checked="true"]')
        assert checked.first.get_attribute("value") == first, "a later lock replaced the first"
    # both tabs write reflections; neither overwrites the other's
    fill_text(part(a, 1), "Reflection", "tab A")
    submit_form(a, part(a, 1), "Save reflection")
    pick_track(b, "Edge Guardian")
    lock(b, 1, choice_index=0, number=2.0)
    fill_text(part(b, 1), "Reflection", "tab B")
    submit_form(b, part(b, 1), "Save reflection")
    notes = {(e["track"], e["payload"]["text"]) for e in ledger_entries(srv.ledger)
             if e["kind"] == "reflection"}
    assert notes == {("tiny", "tab A"), ("edge", "tab B")}
    srv.stop()
