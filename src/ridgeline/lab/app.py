import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="ridgeline lab")


@app.cell(hide_code=True)
def _():
    import marimo as mo

    from ridgeline.errors import RidgelineError
    from ridgeline.hardware import get_hardware
    from ridgeline.lab import charts, report, views
    from ridgeline.lab import tracks as T
    from ridgeline.lab.ledger import Ledger
    return Ledger, RidgelineError, T, charts, get_hardware, mo, report, views


@app.cell(hide_code=True)
def _():
    from ridgeline.lab import entries
    from ridgeline.lab import questions as Q
    return Q, entries


@app.cell(hide_code=True)
def _():
    from ridgeline.lab import warm
    from ridgeline.lab import workbench as W
    return W, warm


@app.cell(hide_code=True)
def _(CR, mo, student):
    # The ledger is the only store of progress; the revision counters only tell cells
    # to re-read it (one per kind of entry, so a saved reflection does not re-run a chart).
    # Classroom mode: the student's own ledger, and nothing below runs until one is named.
    ledger = CR.lab_ledger(student)
    mo.stop(ledger is None)
    # one counter per part's lock: locking Part 1 must not rebuild Part 2's half-filled form
    get_lock1_rev, set_lock1_rev = mo.state(0)
    get_lock2_rev, set_lock2_rev = mo.state(0)
    get_lock3_rev, set_lock3_rev = mo.state(0)
    bump_lock = {1: set_lock1_rev, 2: set_lock2_rev, 3: set_lock3_rev}
    get_probes_rev, set_probes_rev = mo.state(0)
    get_design_rev, set_design_rev = mo.state(0)
    get_notes_rev, set_notes_rev = mo.state(0)
    get_write_error, set_write_error = mo.state(None)
    get_notice, set_notice = mo.state(None)

    def record(kind, track_key, payload):
        """Append to the ledger; a failed write is shown on the page, never swallowed."""
        try:
            entry = ledger.append(kind, track_key, payload)
        except (OSError, ValueError) as exc:  # ValueError: RidgelineError, a refused path
            set_write_error(f"Your {kind} was not saved to {ledger.shown}: "
                            f"{CR.shown_error(exc, ledger)}")
            return None
        set_write_error(None)
        return entry
    return (bump_lock, get_design_rev, get_lock1_rev, get_lock2_rev, get_lock3_rev,
            get_notes_rev, get_notice, get_probes_rev, get_write_error, ledger, record,
            set_design_rev, set_notes_rev, set_notice, set_probes_rev)


@app.cell(hide_code=True)
def _(mo):
    mo.md("""
    # ridgeline lab · Neural Computation

    **Arithmetic intensity = FLOPs / bytes moved.** Pick a track, then in each part:
    **Lock** a prediction → explore the **Workbench** → see the **Reveal** → **Reflect**.
    Every lock, probe, design and reflection is saved to your local ledger as it happens.
    """)


@app.cell(hide_code=True)
def _(mo):
    # Classroom mode (ridgeline lab --class-dir): who is working, before the track picker.
    from ridgeline.lab import classroom as CR
    _q = CR.current_student(None, mo.query_params().get(CR.QUERY_KEY))
    student_form = (mo.ui.text(value=_q or "", label="Your name or student ID").form(
        submit_button_label="Start", bordered=False) if CR.class_dir() else None)
    student_form  # noqa: B018 - a cell's last expression is its output
    return CR, student_form


@app.cell(hide_code=True)
def _(CR, mo, student_form):
    _params = mo.query_params()  # not bound to a global: setting it re-runs no cell
    student = (CR.current_student(student_form.value, _params.get(CR.QUERY_KEY))
               if student_form is not None else None)
    if student is not None and _params.get(CR.QUERY_KEY) != student:
        _params[CR.QUERY_KEY] = student  # the personal link: a reload comes back here
    mo.md(CR.identity_markdown(student)) if student_form is not None else None
    return (student,)


@app.cell(hide_code=True)
def _(T, mo):
    _titles = {t.key: t.title for t in T.TRACKS.values()}  # a reload keeps the track (URL)
    track_picker = mo.ui.radio(options=list(_titles.values()), label="Track", inline=True,
                               value=_titles.get(mo.query_params().get("track"), T.CLOUD.title))
    track_picker  # noqa: B018 - a cell's last expression is its output
    return (track_picker,)


@app.cell(hide_code=True)
def _(T, mo, track_picker, warm):
    track = T.get_track(track_picker.value)
    mo.query_params()["track"] = track.key
    from ridgeline.lab.instant_part2 import part2_pages as _pages
    from ridgeline.lab.instant_part3 import start_table as _mixes
    # Part 2's pages and Part 3's mixes (at its starting workload), computed in the
    # background: ready before the student is. (Nothing to show: the cell's output is None.)
    _jobs = [warm.ahead(_job, track.key) for _job in (_pages, _mixes)]
    return (track,)


@app.cell(hide_code=True)
def _(get_notice, get_write_error, mo, views):
    _err, _note = get_write_error(), get_notice()
    mo.vstack([_c for _c in (  # nothing at all when there is nothing to say (not "None")
        mo.callout(mo.md(views.escape_md(_err)), kind="danger") if _err else None,
        mo.callout(mo.md(views.escape_md(_note)), kind="warn") if _note else None) if _c])


@app.cell(hide_code=True)
def _(T, get_hardware, mo, track, views):
    mo.md(views.track_markdown(track, get_hardware(track.hardware).name, T.crisis(track)))


@app.cell(hide_code=True)
def _(RidgelineError, ledger, mo):
    try:
        ledger.entries()  # reading finds (and keeps aside) a damaged file before anything else
    except RidgelineError as _exc:  # a directory or someone else's file: refused, untouched
        mo.stop(True, mo.callout(mo.md(str(_exc)), kind="danger"))
    mo.vstack([_c for _c in (mo.callout(mo.md(
        f"The ledger file was damaged. It was kept aside as `{ledger.shown_aside()}` and its "
        f"{ledger.recovered_entries} readable entries were restored; nothing was "
        "overwritten."), kind="warn") if ledger.recovered_from else None,
        mo.callout(mo.md(
            f"{ledger.unreadable} line(s) of the ledger are unreadable (odd values): they are "
            "kept in the file as they are and left out of the page and the report."),
            kind="warn") if ledger.unreadable else None) if _c])


@app.cell(hide_code=True)
def _(get_lock1_rev, ledger, track):
    get_lock1_rev()
    locked1 = ledger.state(track.key)["locks"].get(1)
    return (locked1,)


@app.cell(hide_code=True)
def _(get_lock2_rev, ledger, track):
    get_lock2_rev()
    locked2 = ledger.state(track.key)["locks"].get(2)
    return (locked2,)


@app.cell(hide_code=True)
def _(get_lock3_rev, ledger, track):
    get_lock3_rev()
    locked3 = ledger.state(track.key)["locks"].get(3)
    return (locked3,)


@app.cell(hide_code=True)
def _(Q, track):
    questions = {q.part: q for q in Q.questions(track)}
    return (questions,)


@app.cell(hide_code=True)
def _(bump_lock, entries, mo, record, set_notice, views):
    def lock_form(track, q):
        """The Lock form of one part: the choices (no preset) and, in Part 1, a number."""
        fields = {"choice": mo.ui.radio(options=list(q.choices), label=q.prompt)}
        if q.numeric:
            fields["number"] = mo.ui.number(label=q.numeric)

        def _problem(raw):
            if not raw or raw.get("choice") in (None, ""):
                return "Choose an answer before locking."
            if q.numeric and raw.get("number") is None:
                return f"Enter {q.numeric} before locking."
            return None

        def _on_lock(value):
            if not value or _problem(value):
                return
            payload = entries.lock_payload(track, q, value["choice"], value.get("number"))
            stored = record("lock", track.key, payload)
            if stored is not None and stored["payload"].get("choice") != payload["choice"]:
                set_notice(views.already_locked(q.part, stored))  # another tab was first
            bump_lock[q.part](lambda r: r + 1)

        return mo.md(views.batch_layout(fields)).batch(**fields).form(
            submit_button_label="Lock prediction", validate=_problem, on_change=_on_lock,
            bordered=True)
    return (lock_form,)


@app.cell(hide_code=True)
def _(Q, RidgelineError, mo, views):
    def lock_view(q, locked, form):
        """Before locking: the form and the gate text. After: the answer, disabled, and when."""
        if locked is None:
            return mo.vstack([form, mo.md("*Lock your prediction to open the workbench.*")])
        p = locked["payload"]
        choice = p.get("choice") if p.get("choice") in q.choices else None
        shown = [mo.ui.radio(options=list(q.choices), value=choice, label=q.prompt,
                             disabled=True)]
        if choice is None:  # locked under another wording of the question: show it as stored
            shown.append(mo.md(f"Your locked answer: {views.escape_md(p.get('choice'))}"))
        if q.numeric:
            shown.append(mo.ui.number(value=views.finite_or_none(p.get("number")),
                                      label=q.numeric, disabled=True))
        shown.append(mo.md(f"**{views.locked_line(locked)}**"))
        return mo.vstack(shown)

    def reveal_view(track, q, locked):
        """The student's answer beside the computed one, and the numbers that decide it."""
        p = locked["payload"]
        try:
            rv = Q.reveal(track, q.part, p.get("choice"), p.get("number"))
        except RidgelineError as exc:
            return mo.md(f"### Reveal\n\nThis lock cannot be graded: {views.escape_md(exc)}")
        verdict = "Your prediction was right." if rv.correct else "Not this time."
        return mo.md(
            f"### Reveal\n\n**{verdict}**\n\n{views.compare_table(rv.student, rv.computed)}\n\n"
            f"{views.escape_md(rv.explanation)}\n\n"
            f"{views.numbers_table(rv.numbers)}")
    return lock_view, reveal_view


@app.cell(hide_code=True)
def _(entries, ledger, mo, record, set_notes_rev, views):
    def reflection_form(track, part):
        """A text area saved to the ledger on 'Save reflection' (prefilled with the last save).

        Built once per track and lock, not on every save, so text typed in one part's box
        survives saving another's.
        """
        saved = ledger.state(track.key)["reflections"].get(part)
        def _on_save(text):
            if text is None:
                return
            record("reflection", track.key, entries.reflection_payload(part, text))
            set_notes_rev(lambda r: r + 1)

        prev = saved["payload"].get("text", "") if saved else ""
        return mo.ui.text_area(value=prev, label="Reflection", full_width=True, rows=4).form(
            submit_button_label="Save reflection", on_change=_on_save)

    def reflection_view(form, saved, part):
        note = (mo.md(f"*Saved at {views.when(saved['time'])}.*") if saved
                else mo.md("*Not saved yet.*"))
        return mo.vstack([mo.md(f"### Reflect\n\n{views.REFLECT_PROMPTS[part]}"), form, note])
    return reflection_form, reflection_view


@app.cell(hide_code=True)
def _(get_notes_rev, ledger, track):
    get_notes_rev()
    notes = ledger.state(track.key)["reflections"]
    return (notes,)


@app.cell(hide_code=True)
def _(mo):
    mo.md("""
    ## Part 1 · Arithmetic Intensity Audit
    """)


@app.cell(hide_code=True)
def _(lock_form, locked1, questions, track):
    lock1 = lock_form(track, questions[1]) if locked1 is None else None
    return (lock1,)


@app.cell(hide_code=True)
def _(lock1, lock_view, locked1, questions):
    lock_view(questions[1], locked1, lock1)


@app.cell(hide_code=True)
def _(locked1, mo, track):
    mo.stop(locked1 is None)
    # The Layer picker, the card, its gauge and the roofline of every layer answer in the
    # browser from a table the engine computed for every layer (lab/instant_part1.py);
    # Python hears the chosen layer. A reload restores it from the query string
    from ridgeline.lab.instant_part1 import layer_table as _layer_table
    from ridgeline.lab.instant_part3 import InstantMix as _InstantMix
    _table = _layer_table(track)
    layer1_w = _InstantMix(_table, _table.parse(mo.query_params().get(f"{track.key}-layer")))
    layer1 = mo.ui.anywidget(layer1_w)
    peek1 = mo.ui.switch(label="Math peek")
    mo.vstack([mo.md("### Workbench: Layer Profiler"),  # shown where defined (see Part 2)
               layer1, peek1])
    return layer1, layer1_w, peek1


@app.cell(hide_code=True)
def _(layer1, layer1_w, mo, track):
    layer1.index  # noqa: B018 - re-run when the browser saves a layer
    mo.query_params()[f"{track.key}-layer"] = str(layer1_w.index)
    layer1_name = layer1_w.current_choices()["Layer"]  # never layer1.value: it holds the table
    return (layer1_name,)


@app.cell(hide_code=True)
def _(W, layer1_name, mo, peek1, track, views):
    mo.stop(not peek1.value)
    mo.md(views.peek_markdown(W.math_peek(track, layer1_name),
                              ("layer", "energy", "roofline", "gemm", "conv", "attention")))


@app.cell(hide_code=True)
def _(W, charts, locked1, mo, track, views):
    mo.stop(locked1 is None)
    _cmp = W.compare_linear_conv(track)
    mo.vstack([mo.md("### Linear vs Conv: weight reuse"),
               mo.md(views.compare_rows_markdown(_cmp["rows"], track.work_unit)),
               charts.reuse_chart(_cmp["rows"])])


@app.cell(hide_code=True)
def _(locked1, mo, questions, reveal_view, track):
    mo.stop(locked1 is None)
    reveal_view(track, questions[1], locked1)


@app.cell(hide_code=True)
def _(locked1, mo, reflection_form, track):
    mo.stop(locked1 is None)
    reflect1 = reflection_form(track, 1)
    return (reflect1,)


@app.cell(hide_code=True)
def _(notes, reflect1, reflection_view):
    reflection_view(reflect1, notes.get(1), 1)


@app.cell(hide_code=True)
def _(mo):
    mo.md("""
    ## Part 2 · Scaling Reality Check
    """)


@app.cell(hide_code=True)
def _(lock_form, locked2, questions, track):
    lock2 = lock_form(track, questions[2]) if locked2 is None else None
    return (lock2,)


@app.cell(hide_code=True)
def _(lock2, lock_view, locked2, questions):
    lock_view(questions[2], locked2, lock2)


@app.cell(hide_code=True)
def _(locked2, mo):
    mo.stop(locked2 is None)
    peek2 = mo.ui.switch(label="Math peek")
    # shown by the cell that defines it: a separate display cell would re-run (and redraw
    # every widget) on each slider move
    mo.vstack([mo.md("### Workbench: scale it"), peek2])
    return (peek2,)


@app.cell(hide_code=True)
def _(locked2, mo, track, warm):
    # Both sliders (the scale and the batch), the card and the trajectory plot answer in the
    # browser from pages the engine computed for every stop pair (lab/instant_part2.py,
    # started in the background when the track was chosen); Python hears the final stops.
    mo.stop(locked2 is None)
    from ridgeline.lab.instant import InstantSlider
    from ridgeline.lab.instant_part2 import part2_pages
    _pages = warm.ahead(part2_pages, track.key).result()
    _q = mo.query_params()  # a reload restores both stops
    _page = _pages.index_of(_q.get(f"{track.key}-batch"))
    scale2_w = InstantSlider(_pages, _pages.pages[_page].index_of(_q.get(f"{track.key}-scale")),
                             _page)
    scale2 = mo.ui.anywidget(scale2_w)
    scale2  # noqa: B018 - displayed where defined
    return part2_pages, scale2, scale2_w


@app.cell(hide_code=True)
def _(W, game, part2_pages, scale2_w, track):
    # a new probe gives the widget new pages; it keeps its stops. Until the fifth probe the
    # probe layer is off the card and the plot (the 5-move rule)
    scale2_w.show(part2_pages(track, **W.instant_gate(game, track)))


@app.cell(hide_code=True)
def _(W, game, mo, track):
    mo.md(W.gate_note(game, track))


@app.cell(hide_code=True)
def _(mo, scale2, scale2_w, track):
    scale2.index, scale2.page  # noqa: B018 - re-run when the browser saves a stop
    batch2, scale2_at = scale2_w.current_page(), scale2_w.current()
    mo.query_params()[f"{track.key}-scale"] = str(scale2_at)
    mo.query_params()[f"{track.key}-batch"] = str(batch2)
    return batch2, scale2_at


@app.cell(hide_code=True)
def _(W, batch2, track):
    # The swept curves depend on the batch only (the growth chart below).
    sweep2 = W.trajectory(track, batch2)
    return (sweep2,)


@app.cell(hide_code=True)
def _(W, batch2, scale2_at, track):
    traj = W.trajectory(track, batch2, scale2_at)  # the sweep above is cached
    return (traj,)


@app.cell(hide_code=True)
def _(charts, sweep2, track):
    from ridgeline.lab.instant import PALETTE as _PALETTE  # the instant plot's colours
    charts.growth_chart(sweep2, track.scale_label, palette=_PALETTE)


@app.cell(hide_code=True)
def _(T, batch2, mo, scale2_at, track, traj, views):
    mo.md(views.breaks_markdown(track, traj, T.track_profile(track, batch2, scale2_at,
                                                             memory_model="placed")))


@app.cell(hide_code=True)
def _(W, batch2, mo, peek2, scale2_at, track, views):
    mo.stop(not peek2.value)
    mo.md(views.peek_markdown(
        W.math_peek(track, track.scaling_layer_name, batch2, scale2_at),
        ("layer", "roofline")))


@app.cell(hide_code=True)
def _(W, batch2, charts, scale2_at, track):
    charts.roofline_chart(W.roofline(track, batch2, scale2_at,
                                     layers=list(track.trajectory_layers)),
                          title="Roofline: the trajectory layers at this setting")


@app.cell(hide_code=True)
def _(get_probes_rev, ledger, locked2, mo, track):
    mo.stop(locked2 is None)
    get_probes_rev()
    probes = ledger.state(track.key)["probes"]
    return (probes,)


@app.cell(hide_code=True)
def _(entries, probes, track):
    # the 5-move rule holds the other settings at the track's defaults, so every probe
    # answers the same question however the sliders above are moved
    game = entries.replay(track, probes)
    return (game,)


@app.cell(hide_code=True)
def _(T, entries, game, mo, record, set_probes_rev, track):
    def _on_probe(value):
        _payload = entries.probe_payload(game, value)  # None: over, or outside the range
        if _payload is not None:
            record("probe", track.key, _payload)
            set_probes_rev(lambda r: r + 1)

    probe_form = mo.ui.number(start=game.lo, stop=game.hi, step=1,
                              label=f"Probe value ({T.SCALE_LABELS[game.param]})").form(
        submit_button_label="Commit probe", on_change=_on_probe)
    return (probe_form,)


@app.cell(hide_code=True)
def _(game, mo, probe_form, views):
    mo.vstack([mo.md(views.probe_intro(game)),
               mo.md("") if game.done else probe_form,
               mo.md(views.probes_markdown(game))])


@app.cell(hide_code=True)
def _(game, locked2, mo, questions, reveal_view, track):
    mo.stop(locked2 is None)
    mo.stop(not game.done, mo.md("*The reveal appears after your five probes.*"))
    reveal_view(track, questions[2], locked2)


@app.cell(hide_code=True)
def _(locked2, mo, reflection_form, track):
    mo.stop(locked2 is None)
    reflect2 = reflection_form(track, 2)
    return (reflect2,)


@app.cell(hide_code=True)
def _(notes, reflect2, reflection_view):
    reflection_view(reflect2, notes.get(2), 2)


@app.cell(hide_code=True)
def _(mo):
    mo.md("""
    ## Part 3 · Operator Budget
    """)


@app.cell(hide_code=True)
def _(lock_form, locked3, questions, track):
    lock3 = lock_form(track, questions[3]) if locked3 is None else None
    return (lock3,)


@app.cell(hide_code=True)
def _(lock3, lock_view, locked3, questions):
    lock_view(questions[3], locked3, lock3)


@app.cell(hide_code=True)
def _():
    from ridgeline.lab import challenge as C
    return (C,)


@app.cell(hide_code=True)
def _(ledger, locked3, mo, track, views):
    mo.stop(locked3 is None)
    from ridgeline.lab.instant_part3 import InstantMix, mix_table
    from ridgeline.lab.tradeoff import stakeholder_section
    _start = views.restored_design(track, ledger.state(track.key)["design"])
    peek3 = mo.ui.switch(label="Math peek")
    # The toolkit's selects, the batch and scale sliders, the verdict card and the scatter
    # answer in the browser from a table the engine computed for every mix at this workload and
    # for this mix at every stop of each slider (lab/instant_part3.py); Python hears the choice
    # and re-centres the table there. A reload restores it from the query string, else the
    # ledger's last submitted design
    _table = mix_table(track, _start["batch"], _start["scale"], reveal=False,
                       along=_start["choices"])
    _q = mo.query_params()
    mix3_w = InstantMix(_table, _table.parse(_q.get(f"{track.key}-mix"),
                                             _table.index_of(_start["choices"])),
                        _table.at_of((_q.get(f"{track.key}-batch3") or _start["batch"],
                                      _q.get(f"{track.key}-scale3") or _start["scale"])))
    mix3 = mo.ui.anywidget(mix3_w)
    mo.vstack([  # shown where defined: no display cell re-running on every move
        mo.md(stakeholder_section(track)),
        mo.md("### Workbench: the Lego toolkit\n\nSwap operators in the backbone's slots; "
              "every slider is unlocked to explore, but a submitted design is graded at the "
              "mission's workload (above), and the floor is fixed."),
        mix3, peek3,
    ])
    return mix3, mix3_w, mix_table, peek3


@app.cell(hide_code=True)
def _(mix3, mix3_w, mo, track):
    mix3.index, mix3.at  # noqa: B018 - re-run when the browser saves a choice
    choices3 = mix3_w.current_choices()  # never mix3.value: it carries the whole table
    batch3, scale3 = mix3_w.current_workload()
    _q = mo.query_params()
    _q[f"{track.key}-mix"] = str(mix3_w.index)
    _q[f"{track.key}-batch3"], _q[f"{track.key}-scale3"] = str(batch3), str(scale3)
    return batch3, choices3, scale3


@app.cell(hide_code=True)
def _(batch3, choices3, mix3_w, mix_table, scale3, submitted, track):
    # the table re-centred on the saved choice: every mix at its workload (re-judged), its mix
    # at every stop of each slider. The other mixes are drawn only once a design is submitted
    mix3_w.show(mix_table(track, batch3, scale3, reveal=submitted is not None, along=choices3))


@app.cell(hide_code=True)
def _(C, batch3, choices3, scale3, track):
    design3 = C.evaluate_design(track, choices3, batch3, scale3)
    return (design3,)


@app.cell(hide_code=True)
def _(C, entries, mix3_w, mo, record, set_design_rev, track):
    def _submit(count):
        # the mix the browser shows (a move not yet saved is sent when Submit is pressed),
        # graded at the mission's workload: the sliders explore
        _b, _s = C.graded_workload(track, *mix3_w.current_workload())
        _r = C.evaluate_design(track, mix3_w.current_choices(), _b, _s)
        record("design", track.key, entries.design_payload(_r, _b, _s, _r.floor))
        set_design_rev(lambda r: r + 1)
        return (count or 0) + 1

    submit3 = mo.ui.button(label="Submit design", on_click=_submit, value=0, kind="success")
    return (submit3,)


@app.cell(hide_code=True)
def _(W, batch3, charts, choices3, mo, scale3, submit3, track):
    # under the verdict card: Submit beside the design's roofline (drawn here once the mix
    # reaches Python)
    mo.hstack([submit3,
               charts.roofline_chart(W.design_roofline(track, choices3, batch3,
                                                       scale3),
                                     title="Roofline: your design's layers on the device")],
              justify="start", gap=2, wrap=True, align="start")


@app.cell(hide_code=True)
def _(design3, mo, peek3, track, views):
    mo.stop(not peek3.value)
    mo.md(views.design_peek(design3, track))


@app.cell(hide_code=True)
def _(get_design_rev, ledger, locked3, mo, track):
    mo.stop(locked3 is None)
    get_design_rev()
    submitted = ledger.state(track.key)["design"]
    return (submitted,)


@app.cell(hide_code=True)
def _(C, charts, mo, submitted, track, views):
    mo.stop(submitted is None, mo.md("*Submit your design to see where it sits among all "
                                     "possible operator mixes.*"))
    from ridgeline.lab import story
    from ridgeline.lab.tradeoff import physics_section
    _p = submitted["payload"]
    _all = C.enumerate_designs(track, _p.get("batch"), _p.get("scale"))
    mo.vstack([
        mo.md(views.submitted_markdown(submitted, _all)),
        mo.md(physics_section(track)),
        charts.design_chart(views.design_rows(_all), views.design_point(_p),
                            _all[0].floor if _all else track.intensity_floor,
                            track.power_budget_w, y_field="power_w",
                            unit=_all[0].work_unit if _all else track.work_unit,
                            ridge=story.design_ridges(_all[0], track) if _all else None,
                            y_title="Power at the required rate (W); budget line"),
    ])


@app.cell(hide_code=True)
def _(locked3, mo, questions, reveal_view, submitted, track):
    mo.stop(locked3 is None)
    mo.stop(submitted is None, mo.md("*The reveal appears after you submit a design.*"))
    reveal_view(track, questions[3], locked3)


@app.cell(hide_code=True)
def _(locked3, mo, reflection_form, track):
    mo.stop(locked3 is None)
    reflect3 = reflection_form(track, 3)
    return (reflect3,)


@app.cell(hide_code=True)
def _(notes, reflect3, reflection_view):
    reflection_view(reflect3, notes.get(3), 3)


@app.cell(hide_code=True)
def _(mo):
    # "Your machine": the device `ridgeline measure` cached, its measured roofline and the
    # suite's layers (predicted vs measured); self-contained, reads the cache file only
    from ridgeline.lab.machine import your_machine
    _text, _chart = your_machine()
    mo.vstack([_piece for _piece in (mo.md(_text), _chart) if _piece is not None])


@app.cell(hide_code=True)
def _(get_design_rev, get_lock1_rev, get_lock2_rev, get_lock3_rev, get_notes_rev,
      get_probes_rev, ledger, mo, report, student):
    get_lock1_rev(), get_lock2_rev(), get_lock3_rev()
    get_probes_rev(), get_design_rev(), get_notes_rev()
    _states = ledger.states()
    mo.vstack([
        mo.md("## Report\n\nEverything you locked, probed, designed and wrote, for every track."),
        mo.hstack([
            mo.download(data=lambda: report.report_json_bytes(ledger.states(), student),
                        filename=f"ridgeline-report{f'-{student}' if student else ''}.json",
                        mimetype="application/json",
                        label="Download report (JSON)"),
            mo.download(data=lambda: report.report_markdown(ledger.states()).encode("utf-8"),
                        filename="ridgeline-report.md", mimetype="text/markdown",
                        label="Download report (Markdown)"),
        ], justify="start"),
        mo.md(f"*Ledger: `{ledger.shown}` · {sum(len(s['locks']) for s in _states.values())} "
              f"locks across {len(_states)} track(s).*"),
    ])


if __name__ == "__main__":
    app.run()
