"""Each track end to end in Chromium: gate, locks, card vs engine, probes, design, report, reload.

One fresh lab server (empty ledger) and one browser page per track; the tests of the class run
in order on that page, as a student would (lock -> workbench -> probes -> design -> reflect ->
report -> reload -> second tab). Every number the page shows is checked against the engine,
computed here with ``ridgeline.profile`` / ``ridgeline.crossover`` (not through the lab's own
modules), within the page's formatting (3 significant figures).
"""

from __future__ import annotations

import html
import json
import math
import re
import time

import instant_ui as instant
import pytest
from lab_ui import (
    CARD_LABELS,
    GATE_TEXT,
    build_design,
    card_bound,
    card_value,
    chosen_layer,
    chosen_operator,
    commit_probe,
    layer_select,
    lock,
    numbers_after,
    open_lab,
    part,
    part_text,
    pick_layer,
    pick_track,
    probes_used,
    wait_part_text,
)
from marimo_dom import (
    TIMEOUT_MS,
    deep_text,
    download,
    fill_text,
    form,
    run_mark,
    set_switch,
    submit_enabled,
    submit_form,
    wait_idle,
)
from servers import ledger_entries

import ridgeline
from ridgeline.format import format_si

TRACKS = ["cloud", "edge", "mobile", "tiny"]
REL = 6e-3  # 3 significant figures: a rounding error of at most 0.5 in the third digit
HOSTILE = ("<script>alert(1)</script> **not bold** _x_ `code` $\\frac{a}{b}$ | --- | "
           "<img src=x onerror=alert(2)> ünïcødé 日本語 🚀 \u202e RTL\n")
HOSTILE = (HOSTILE * (10_000 // len(HOSTILE) + 1))[:10_000]


class Flow:
    """What one track's run did, for the later tests to check against."""

    def __init__(self, key, server, context, page):
        from ridgeline.lab.tracks import get_track
        self.track = get_track(key)
        self.server, self.context, self.page = server, context, page
        self.dialogs: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.locks: dict[int, dict] = {}
        self.probes: list[float] = []
        self.design: dict | None = None
        self.work: tuple | None = None    # Part 3's (batch, scale) when the design was submitted
        self.reflections: dict[int, str] = {}

    def entries(self, kind=None):
        return [e for e in ledger_entries(self.server.ledger)
                if e["track"] == self.track.key and (kind is None or e["kind"] == kind)]


@pytest.fixture(scope="class", params=TRACKS)
def flow(request, browser, lab_factory):
    server = lab_factory()
    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    f = Flow(request.param, server, ctx, page)
    open_lab(page, server.url)
    pick_track(page, f.track.title)
    yield f
    ctx.close()
    server.stop()


def engine_layer(track, layer, **override):
    """The engine's estimate of ``layer`` at the track's default workload (plus overrides),
    under the compulsory model the lab's Parts 1-2 teach (the seed's arithmetic intensity)."""
    prof = ridgeline.profile(track.model, track.hardware, track.dtype, "compulsory",
                             **dict(track.workload, **override))
    return prof.layer(layer)


def check_card(text, est, unit):
    """The card's rows equal the engine's estimate (per copy when the card says it shows one
    of a repeated layer's ``count`` copies: extensive numbers divide by the count)."""
    m = re.search(r"one of ([\d,]+) copies", text)
    copies = int(m.group(1).replace(",", "")) if m else 1
    assert copies == int(est.count), f"card says {copies} copies, the engine counts {est.count}"
    per = 1.0 / copies
    assert card_value(text, "MACs", "MAC") == pytest.approx(float(est.macs) * per, rel=REL)
    assert card_value(text, "FLOPs", unit) == pytest.approx(float(est.flops) * per, rel=REL)
    assert card_value(text, "Intensity", f"{unit}/B") == pytest.approx(float(est.intensity), rel=REL)
    # the ridge the bound is judged against: a level's, or the layer's effective one (named so)
    eff = "Effective ridge for this layer's byte mix"
    label = eff if eff in text else next(ln.strip() for ln in text.splitlines()
                                         if ln.strip().startswith("Ridge vs"))
    assert card_value(text, label, f"{unit}/B") == pytest.approx(float(est.ridge), rel=REL)
    assert card_value(text, "Time", "s") == pytest.approx(float(est.time_s) * per, rel=REL)
    assert card_value(text, "Energy", "J") == pytest.approx(float(est.energy_j) * per, rel=REL)
    assert card_bound(text) == str(est.bound)


def html_lines(fragment: str) -> str:
    """The text of an HTML fragment (a widget's card), one element's text per line."""
    return "\n".join(html.unescape(t.strip()) for t in re.split(r"<[^>]+>", fragment)
                     if t.strip())


def geometric(lo, hi, n=5):
    """``n`` whole values spread geometrically over [lo, hi] (a fair bracketing strategy)."""
    return sorted({round(lo * (hi / lo) ** (i / (n - 1))) for i in range(n)})


def passing_design(page, t):
    """(batch, scale, slot choices) of a passing design: at the Part 3 sliders' current stops
    if any design passes there, else at the first stop pair where one does (what a student
    would do: move the workload, then swap operators). batch is None when no slider needs to
    move. Part 3's sliders are the toolkit widget's range inputs (lab/instant_part3.py)."""
    from ridgeline.lab import challenge
    from ridgeline.lab.instant_part3 import workload_sliders
    toolkit = {s.name for s in challenge.toolkit_slots(t)}
    dropdowns = lambda d: {k: v for k, v in d.choices.items() if k in toolkit}
    batch, scale = work_values(page, t)
    here = [d for d in challenge.enumerate_designs(t, batch, scale) if d.passes]
    if here:
        return None, None, dropdowns(here[0])
    _, (b_stops, s_stops) = workload_sliders(t)
    for b in b_stops:
        for sc in s_stops:
            ok = [d for d in challenge.enumerate_designs(t, b, sc) if d.passes]
            if ok:
                return b, sc, dropdowns(ok[0])
    raise AssertionError(f"no passing design at any slider position of track {t.key}")


def work_values(page, t) -> tuple:
    """(batch, scale) Part 3's range inputs show: each input's stop, looked up in its stops."""
    from ridgeline.lab.instant_part3 import workload_sliders
    _, stops = workload_sliders(t)
    at = [work_range(page, name).evaluate("e => e.valueAsNumber") for name in ("Batch", t.scale_label)]
    return tuple(s[i] for s, i in zip(stops, at))


def work_range(page, name: str):
    return part(page, 3).get_by_role("slider", name=name, exact=True)


def set_work(page, t, batch, scale) -> None:
    """Move Part 3's two range inputs to ``batch`` and ``scale`` by keyboard (Home, then
    arrows), one slider at a time, waiting for Python after each (it re-centres the table)."""
    from ridgeline.lab.instant_part3 import workload_sliders
    _, stops = workload_sliders(t)
    for name, st, v in zip(("Batch", t.scale_label), stops, (batch, scale)):
        mark, rng = run_mark(page), work_range(page, name)
        rng.focus()
        page.keyboard.press("Home")
        for _ in range(list(st).index(v)):
            page.keyboard.press("ArrowRight")
        wait_idle(page, mark=mark)


@pytest.mark.browser
class TestTrack:
    def test_gate_before_lock(self, flow):
        p = flow.page
        for n in (1, 2, 3):
            text = part_text(p, n)
            assert GATE_TEXT in text, f"part {n}: no gate text"
            assert submit_enabled(part(p, n), "Lock prediction"), f"part {n}: no lock button"
        card_lines = {ln.strip() for ln in part_text(p, 1).splitlines()}
        assert not card_lines & set(CARD_LABELS), "profiler card shown before the lock"
        assert part(p, 1).get_by_role("combobox", name="Layer", exact=True).count() == 0, \
            "Layer picker before the lock"
        assert form(part(p, 2), "Commit probe").count() == 0
        assert p.get_by_role("button", name="Submit design").count() == 0

    def test_lock_part1_opens_workbench(self, flow):
        p, t = flow.page, flow.track
        guess = round(float(engine_layer(t, t.linear_layer).intensity) * 1.7, 2)
        choice = lock(p, 1, choice_index=1, number=guess)
        flow.locks[1] = {"choice": choice, "number": guess}
        p.get_by_text("Locked at").first.wait_for()
        text = part_text(p, 1)
        assert "Locked at" in text
        assert GATE_TEXT not in text
        for label in CARD_LABELS:
            assert label in text, f"card row {label} missing after the lock"
        assert GATE_TEXT in part_text(p, 2)  # the other parts stay closed

    def test_lock_is_immutable(self, flow):
        p = flow.page
        scope = part(p, 1)
        assert not submit_enabled(scope, "Lock prediction")
        radios = scope.locator("marimo-radio")
        assert radios.count() >= 1
        assert all(r.get_attribute("data-disabled") == "true" for r in radios.all())
        numbers = scope.locator("marimo-number")
        assert all(n.get_attribute("data-disabled") == "true" for n in numbers.all())
        choice = flow.locks[1]["choice"]
        checked = scope.locator('[role=radio][aria-checked="true"]')
        assert checked.count() == 1 and checked.get_attribute("value") == choice
        locks = [e for e in flow.entries("lock") if e["payload"]["part"] == 1]
        assert len(locks) == 1
        assert locks[0]["payload"]["choice"] == choice
        assert locks[0]["payload"]["number"] == pytest.approx(flow.locks[1]["number"])
        shown = locks[0]["time"][:19].replace("T", " ")
        assert f"Locked at {shown}" in part_text(p, 1)
        flow.locks[1]["time"] = locks[0]["time"]

    def test_card_matches_engine(self, flow):
        p, t = flow.page, flow.track
        for layer in (t.conv_layer, t.linear_layer):
            pick_layer(p, layer)
            check_card(part_text(p, 1), engine_layer(t, layer), t.work_unit)

    def test_instant_layer_picker_answers_in_the_browser_and_a_reload_keeps_it(self, flow):
        """Part 1's Layer picker is an instant widget (lab/instant_part1.py): another layer's
        card, with the engine's numbers, is on screen one frame after the pick (no kernel round
        trip), Python hears the pick, and a reload brings it back (the query string)."""
        from ridgeline.lab.cards import layer_card
        from ridgeline.lab.instant_part1 import layer_table
        p, t = flow.page, flow.track
        table = layer_table(t)
        layer = t.conv_layer if chosen_layer(p) != t.conv_layer else t.linear_layer
        i = [c["Layer"] for c in table.choices].index(layer)
        mark = run_mark(p)
        layer_select(p).select_option(label=layer)
        p.wait_for_function("() => true", polling="raf")  # one frame later
        assert instant.mix_shows(p, table, i), instant.mix_state(p, table.label)
        card = html_lines(instant.mix_state(p, table.label)["card"])
        # the lab's engine card for that layer (cards.layer_card), written to 3 s.f.; then every
        # row against ridgeline.profile itself
        assert card_value(card, "Intensity", f"{t.work_unit}/B") == pytest.approx(
            layer_card(t, layer)["intensity"], rel=REL)
        check_card(card, engine_layer(t, layer), t.work_unit)
        wait_idle(p, mark=mark)  # the debounced save reached Python, which wrote the URL
        assert f"{t.key}-layer={i}" in p.url
        p.reload()
        open_lab(p, p.url)
        pick_track(p, t.title)
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while not instant.mix_shows(p, table, i):
            assert time.monotonic() < deadline, instant.mix_state(p, table.label)
            time.sleep(0.1)
        assert chosen_layer(p) == layer

    def test_math_peek_shows_the_formula(self, flow):
        p = flow.page
        before = part_text(p, 1)
        set_switch(p, part(p, 1), "Math peek", True)
        after = part_text(p, 1)
        new = [ln for ln in after.splitlines() if ln not in set(before.splitlines())]
        assert new, "Math peek showed nothing"
        assert any("=" in ln for ln in new), f"no equation in the math peek: {new[:10]}"
        set_switch(p, part(p, 1), "Math peek", False)

    def test_probes_and_crossover(self, flow):
        p, t = flow.page, flow.track
        flow.locks[2] = {"choice": lock(p, 2, choice_index=0)}
        assert GATE_TEXT not in part_text(p, 2)
        assert "The reveal appears after your five probes" in part_text(p, 2)
        param = t.probe_param or t.scale_param
        lo, hi, _ = t.sliders[param]
        values = geometric(lo, hi) if hi > lo else [lo] * 5
        values = (values + [hi, lo, hi])[:5]
        for i, v in enumerate(values, start=1):
            commit_probe(p, v)
            flow.probes.append(v)
            assert probes_used(part_text(p, 2)) == i
        assert not submit_enabled(part(p, 2), "Commit probe"), "a sixth probe is possible"
        fixed = {k: v for k, v in t.workload.items() if k != param.replace("-", "_")}
        c = ridgeline.crossover(t.model, t.probe_layer, param, t.hardware, t.dtype,
                                "compulsory", **fixed)
        text = part_text(p, 2)
        assert "The reveal appears after your five probes" not in text
        assert "Reveal" in text, "no Part 2 reveal after the fifth probe"
        if c.crossover is None:
            assert "never crosses" in text
        else:
            assert "Crossover" in text
            found = numbers_after(text, "Crossover")
            assert any(math.isclose(x, c.crossover, rel_tol=REL) for x in found), (
                f"solver crossover {c.crossover:.4g} not among {found}")

    def test_instant_scale_slider_is_the_engine_at_every_stop(self, flow):
        """Part 2's scale slider answers in the browser from the engine's table: after End the
        card is the table's last row at once, then Python hears the stop (the text under it
        follows); Home and the start stop come back by keyboard."""
        from ridgeline.lab.instant_part2 import part2_table
        from ridgeline.lab.probes import instant_gate
        from ridgeline.lab.workbench import new_game
        p, t = flow.page, flow.track
        game = new_game(t)
        for v in flow.probes:
            game = game.probe(v)
        table = part2_table(t, **instant_gate(game, t))
        rng = instant.slider(p, t.scale_label)
        assert rng.count() == 1, "no instant scale slider in Part 2"
        assert instant.shows(p, table.rows[table.start]), "the start stop is not the engine's"
        text0 = part_text(p, 2)
        mark = run_mark(p)
        rng.focus()
        p.keyboard.press("End")
        assert instant.shows(p, table.rows[-1]), "End did not show the last stop's row"
        wait_idle(p, mark=mark)
        assert part_text(p, 2) != text0, "Python did not hear the new stop"
        p.keyboard.press("Home")
        for _ in range(table.start):
            p.keyboard.press("ArrowRight")
        assert instant.shows(p, table.rows[table.start])
        wait_idle(p)

    def test_instant_batch_slider_switches_pages(self, flow):
        """Part 2's batch is the instant widget's second slider: End shows the last batch's
        page (card and plot) at the same scale stop at once, the engine's numbers there; then
        Python hears it (the text under the widget follows); Home and arrows come back."""
        from ridgeline.lab.instant_part2 import part2_pages
        from ridgeline.lab.probes import instant_gate
        from ridgeline.lab.workbench import new_game
        p, t = flow.page, flow.track
        game = new_game(t)
        for v in flow.probes:
            game = game.probe(v)
        pages = part2_pages(t, **instant_gate(game, t))
        rng = part(p, 2).get_by_role("slider", name="Batch", exact=True)
        assert rng.count() == 1, "no instant Batch slider in Part 2"
        at = instant.state(p)["index"]   # the scale stop: kept while the batch moves
        assert instant.shows(p, pages.pages[pages.start].rows[at])
        text0, mark = part_text(p, 2), run_mark(p)
        rng.focus()
        p.keyboard.press("End")
        assert instant.shows(p, pages.pages[-1].rows[at]), "End did not show the last batch's row"
        assert rng.get_attribute("aria-valuetext") == pages.arias[-1]
        wait_idle(p, mark=mark)
        if len(pages.pages) > 1:
            assert part_text(p, 2) != text0, "Python did not hear the new batch"
        assert f"{t.key}-batch={pages.values[-1]}" in p.url  # Python wrote it for a reload
        p.reload()
        open_lab(p, p.url)
        pick_track(p, t.title)
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while not instant.shows(p, pages.pages[-1].rows[at]):
            assert time.monotonic() < deadline, "a reload lost Part 2's batch"
            time.sleep(0.1)
        rng = part(p, 2).get_by_role("slider", name="Batch", exact=True)
        rng.focus()
        p.keyboard.press("Home")
        for _ in range(pages.start):
            p.keyboard.press("ArrowRight")
        assert instant.shows(p, pages.pages[pages.start].rows[at])
        wait_idle(p)

    def test_part3_design_passes(self, flow):
        from ridgeline.lab import challenge
        from ridgeline.lab.instant_part3 import mix_table
        p, t = flow.page, flow.track
        flow.locks[3] = {"choice": lock(p, 3, choice_index=1)}
        start = challenge.evaluate_design(t, challenge.starting_design(t))
        text = part_text(p, 3)
        assert ("PASS" if start.passes else "FAIL") in text
        assert "The reveal appears after you submit a design" in text
        # the toolkit is the instant widget: its card is the engine's row for the start mix,
        # in the table the lab holds (every mix here, the start mix at every slider stop)
        b, sc = work_values(p, t)
        start_mix = challenge.starting_design(t)
        table = mix_table(t, b, sc, reveal=False, along=start_mix)
        assert instant.mix_shows(p, table, table.start), instant.mix_diff(p, table, table.start)
        # a workload move is instant: the start mix's row at the last batch stop at once
        last = [r for r in table.rows if r["mix"] == table.start
                and r["at"] == [table.work[0]["last"], table.center[1]]]
        if last:
            work_range(p, "Batch").focus()
            p.keyboard.press("End")
            row = last[0]
            st = instant.mix_state(p)
            assert st["output"] == row["label"], (st, row["label"])
            wait_idle(p)
        batch, scale, design = passing_design(p, t)
        batch, scale = (batch, scale) if batch is not None else work_values(p, t)
        set_work(p, t, batch, scale)
        build_design(p, design)
        table = mix_table(t, batch, scale, reveal=False, along=design)
        assert instant.mix_shows(p, table, table.index_of(design)), instant.mix_diff(
            p, table, table.index_of(design))
        submit_form(p, part(p, 3), "Submit design")
        assert "PASS" in part_text(p, 3)
        assert "The reveal appears after you submit a design" not in part_text(p, 3)
        flow.design = design
        flow.work = work_values(p, t)

    def test_stakeholder_fixed_floor_and_the_trade_off_note(self, flow):
        """The hardware lead's challenge is on the page, the floor is not an input while the
        challenge is graded, and after the submission the engine's verdict on the trade-off."""
        from ridgeline.lab import tradeoff
        p, t = flow.page, flow.track
        text = part_text(p, 3)
        assert "The hardware lead:" in text
        start = tradeoff.analyse(t).start
        over = "over the " + format_si(start.power_budget_w, "W") + " budget"
        assert (over in text.split("The hardware lead:")[1][:600]) == (not start.checks["power"])
        assert part(p, 3).get_by_label(re.compile("Intensity floor")).count() == 0
        note = "Conservation of complexity holds here" if tradeoff.analyse(t).holds \
            else "Where physics departs from the plan"
        assert note in text, "the trade-off note is missing after the submission"

    def test_math_peek_in_parts_2_and_3(self, flow):
        p = flow.page
        for n in (2, 3):
            before = set(part_text(p, n).splitlines())
            set_switch(p, part(p, n), "Math peek", True)
            new = [ln for ln in part_text(p, n).splitlines() if ln not in before]
            assert any("=" in ln for ln in new), f"part {n}: no equation in the math peek"
            set_switch(p, part(p, n), "Math peek", False)

    def test_hostile_reflection_leaves_page_intact(self, flow):
        p = flow.page
        scope = part(p, 1)
        fill_text(scope, "Reflection", HOSTILE)
        submit_form(p, scope, "Save reflection")
        flow.reflections[1] = HOSTILE
        assert flow.dialogs == [], "student text ran as script"
        assert p.locator("script", has_text="alert(").count() == 0
        assert p.locator("img[src=x]").count() == 0
        text = deep_text(p)
        for title in ("Part 1 · Arithmetic Intensity Audit", "Part 2 · Scaling Reality Check",
                      "Part 3 · Operator Budget", "Download report (JSON)"):
            assert title in text, f"{title!r} vanished after saving hostile text"
        saved = [e for e in flow.entries("reflection") if e["payload"]["part"] == 1]
        assert saved and saved[-1]["payload"]["text"] == HOSTILE
        pick_layer(p, flow.track.conv_layer)  # the page still works
        check_card(part_text(p, 1), engine_layer(flow.track, flow.track.conv_layer),
                   flow.track.work_unit)

    def test_report_json_matches_what_was_done(self, flow):
        from ridgeline.lab import questions as Q
        p, t = flow.page, flow.track
        data = json.loads(download(p, p, "Download report (JSON)"))
        mine = [tr for tr in data["tracks"] if tr["track"] == t.key]
        assert len(mine) == 1
        rep = mine[0]
        by_part = {pr["part"]: pr for pr in rep["predictions"]}
        assert set(by_part) == set(flow.locks)
        stored = {e["payload"]["part"]: e for e in flow.entries("lock")}
        for n, mine_lock in flow.locks.items():
            pr = by_part[n]
            assert pr["choice"] == mine_lock["choice"]
            assert pr["locked_at"] == stored[n]["time"]
            rv = Q.reveal(t, n, mine_lock["choice"], mine_lock.get("number"))
            assert pr["correct"] == rv.correct
        assert by_part[1]["number"] == pytest.approx(flow.locks[1]["number"])
        probed = [pr.get("value") for pr in rep["probes"]]
        assert probed == pytest.approx(flow.probes)
        assert rep["design"] is not None
        assert {k: rep["design"]["choices"][k] for k in flow.design} == flow.design
        notes = {r["part"]: r["text"] for r in rep["reflections"]}
        assert notes.get(1) == HOSTILE
        md = download(p, p, "Download report (Markdown)").decode("utf-8")
        assert t.title in md
        assert HOSTILE.splitlines()[0] in md  # the student's text, verbatim
        fence = max(len(f) for f in re.findall(r"^`{3,}", md, flags=re.MULTILINE))
        assert fence >= 3

    def test_reload_restores_everything(self, flow):
        p, t = flow.page, flow.track
        open_lab(p, flow.server.url)  # a reload: a new session on the same ledger
        pick_track(p, t.title)
        for n, mine in flow.locks.items():
            text = wait_part_text(p, n, "Locked at")
            assert "Locked at" in text, f"part {n} lost its lock on reload"
            assert GATE_TEXT not in text
            checked = part(p, n).locator('[role=radio][aria-checked="true"]')
            assert checked.first.get_attribute("value") == mine["choice"]
        assert probes_used(part_text(p, 2)) == 5
        assert "PASS" in part_text(p, 3)
        area = part(p, 1).locator("marimo-text-area textarea").first
        assert area.input_value() == HOSTILE

    def test_second_tab_entries_survive(self, flow):
        p, t = flow.page, flow.track
        p2 = flow.context.new_page()
        open_lab(p2, flow.server.url)
        pick_track(p2, t.title)
        assert "Locked at" in wait_part_text(p2, 1, "Locked at")
        note2, note3 = "from tab two: weight reuse", "from tab one: defend the mix"
        fill_text(part(p2, 2), "Reflection", note2)
        submit_form(p2, part(p2, 2), "Save reflection")
        fill_text(part(p, 3), "Reflection", note3)
        submit_form(p, part(p, 3), "Save reflection")
        texts = {e["payload"]["part"]: e["payload"]["text"] for e in flow.entries("reflection")}
        assert texts.get(2) == note2 and texts.get(3) == note3 and texts.get(1) == HOSTILE
        for pg in (p, p2):
            open_lab(pg, flow.server.url)
            pick_track(pg, t.title)
            areas = pg.locator("marimo-text-area textarea")
            areas.first.wait_for()
            values = [a.input_value() for a in areas.all()]
            assert note2 in values and note3 in values, (
                f"a tab's reflection was lost: {[v[:40] for v in values]}")
        p2.close()

    def test_reload_restores_design_widgets(self, flow):
        p, t = flow.page, flow.track
        open_lab(p, flow.server.url)
        pick_track(p, t.title)
        shown = {slot: chosen_operator(part(p, 3), slot) for slot in flow.design}
        assert shown == flow.design, "the submitted design's operators were not restored"
        # and the toolkit's sliders: at the workload the design was graded at (the mission's,
        # the sliders' start, but for a slider that is a design choice: Tiny's frames)
        from ridgeline.lab.challenge import graded_workload
        from ridgeline.lab.views import slider_default
        graded = graded_workload(t, *flow.work)
        start = (slider_default(t, "batch", part=3), slider_default(t, t.scale_param, part=3))
        assert work_values(p, t) == tuple(g if g is not None else s for g, s in zip(graded, start))
