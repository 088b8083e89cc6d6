import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="ridgeline lab")


@app.cell(hide_code=True)
def _():
    import marimo as mo

    from ridgeline.hardware import get_hardware
    from ridgeline.lab import report, views
    from ridgeline.lab import tracks as T
    from ridgeline.lab.ledger import Ledger
    return Ledger, T, get_hardware, mo, report, views


@app.cell(hide_code=True)
def _():
    from ridgeline.lab import questions as Q
    return (Q,)


@app.cell(hide_code=True)
def _():
    from ridgeline.lab import workbench as W
    return (W,)


@app.cell(hide_code=True)
def _(Ledger, mo):
    # The ledger is the only store of progress; the revision counters only tell cells
    # to re-read it (one per kind of entry, so a saved reflection does not re-run a chart).
    ledger = Ledger()
    get_locks_rev, set_locks_rev = mo.state(0)
    get_probes_rev, set_probes_rev = mo.state(0)
    get_design_rev, set_design_rev = mo.state(0)
    get_notes_rev, set_notes_rev = mo.state(0)
    return (get_design_rev, get_locks_rev, get_notes_rev, get_probes_rev, ledger,
            set_design_rev, set_locks_rev, set_notes_rev, set_probes_rev)


@app.cell(hide_code=True)
def _(mo):
    mo.md(
        """
        # ridgeline lab · Neural Computation

        **Arithmetic intensity = FLOPs / bytes moved.** Pick a track, then in each part:
        **Lock** a prediction → explore the **Workbench** → see the **Reveal** → **Reflect**.
        Every lock, probe, design and reflection is saved to your local ledger as it happens.
        """
    )


@app.cell(hide_code=True)
def _(T, mo):
    track_picker = mo.ui.radio(options=[t.title for t in T.TRACKS.values()],
                               value=T.CLOUD.title, label="Track", inline=True)
    track_picker  # noqa: B018 - a cell's last expression is its output
    return (track_picker,)


@app.cell(hide_code=True)
def _(T, track_picker):
    track = T.get_track(track_picker.value)
    return (track,)


@app.cell(hide_code=True)
def _(T, get_hardware, mo, track, views):
    mo.md(views.track_markdown(track, get_hardware(track.hardware).name, T.crisis(track)))


@app.cell(hide_code=True)
def _(get_locks_rev, ledger, mo, track):
    get_locks_rev()
    locks = ledger.state(track.key)["locks"]
    mo.callout(mo.md(
        f"The ledger file was damaged. It was kept aside as `{ledger.recovered_from}` and its "
        f"{ledger.recovered_entries} readable entries were restored; nothing was overwritten."),
        kind="warn") if ledger.recovered_from else None
    return (locks,)


@app.cell(hide_code=True)
def _(Q, track):
    questions = {q.part: q for q in Q.questions(track)}
    return (questions,)


@app.cell(hide_code=True)
def _(Q, ledger, mo, set_locks_rev, set_notes_rev, views):
    def lock_form(track, q):
        """The Lock form of one part: the choices (no preset) and, in Part 1, a number."""
        fields = {"choice": mo.ui.radio(options=list(q.choices), label=q.prompt)}
        if q.numeric:
            fields["number"] = mo.ui.number(label=q.numeric)
        layout = "\n\n".join("{" + k + "}" for k in fields)

        def _problem(raw):
            if not raw or raw.get("choice") in (None, ""):
                return "Choose an answer before locking."
            if q.numeric and raw.get("number") is None:
                return f"Enter {q.numeric} before locking."
            return None

        def _on_lock(value):
            if not value or _problem(value):
                return
            payload = {"part": q.part, "question": q.key, "prompt": q.prompt,
                       "choice": value["choice"], "number": value.get("number")}
            try:
                rv = Q.reveal(track, q.part, value["choice"], value.get("number"))
                payload.update(correct=rv.correct, computed=rv.computed)
            except Exception as exc:  # noqa: BLE001 - the lock is stored even if grading fails
                payload.update(correct=None, grading_error=str(exc))
            ledger.append("lock", track.key, payload)
            set_locks_rev(lambda r: r + 1)

        return mo.md(layout).batch(**fields).form(submit_button_label="Lock prediction",
                                             validate=_problem, on_change=_on_lock,
                                             bordered=True)

    def lock_view(q, locked, form):
        """Before locking: the form and the gate text. After: the answer, disabled, and when."""
        if locked is None:
            return mo.vstack([form, mo.md("*Lock your prediction to open the workbench.*")])
        p = locked["payload"]
        shown = [mo.ui.radio(options=list(q.choices), value=p.get("choice"), label=q.prompt,
                             disabled=True)]
        if q.numeric:
            shown.append(mo.ui.number(value=p.get("number"), label=q.numeric, disabled=True))
        shown.append(mo.md(f"**{views.locked_line(locked)}**"))
        return mo.vstack(shown)

    def reveal_view(track, q, locked):
        """The student's answer beside the computed one, and the numbers that decide it."""
        p = locked["payload"]
        rv = Q.reveal(track, q.part, p.get("choice"), p.get("number"))
        verdict = "✅ Your prediction was right." if rv.correct else "❌ Not this time."
        return mo.md(
            f"### Reveal\n\n**{verdict}**\n\n{views.compare_table(rv.student, rv.computed)}\n\n"
            f"{views.escape_md(rv.explanation)}\n\n"
            f"{views.pairs_table(rv.numbers.items(), ('Deciding numbers', 'value'))}")

    def reflection_form(track, part, saved):
        """A text area saved to the ledger on 'Save reflection' (prefilled with the last save)."""
        def _on_save(text):
            if text is None:
                return
            ledger.append("reflection", track.key, {"part": part, "text": text})
            set_notes_rev(lambda r: r + 1)

        prev = saved["payload"].get("text", "") if saved else ""
        return mo.ui.text_area(value=prev, label="Reflection", full_width=True, rows=4).form(
            submit_button_label="Save reflection", on_change=_on_save)

    def reflection_view(form, saved):
        note = (mo.md(f"*Saved at {views.when(saved['time'])}.*") if saved
                else mo.md("*Not saved yet.*"))
        return mo.vstack([mo.md("### Reflect"), form, note])
    return lock_form, lock_view, reflection_form, reflection_view, reveal_view


@app.cell(hide_code=True)
def _(get_notes_rev, ledger, track):
    get_notes_rev()
    notes = ledger.state(track.key)["reflections"]
    return (notes,)


@app.cell(hide_code=True)
def _(mo):
    mo.md("""## Part 1 · Arithmetic Intensity Audit""")


@app.cell(hide_code=True)
def _(lock_form, locks, questions, track):
    lock1 = lock_form(track, questions[1]) if 1 not in locks else None
    return (lock1,)


@app.cell(hide_code=True)
def _(lock1, lock_view, locks, questions):
    lock_view(questions[1], locks.get(1), lock1)


@app.cell(hide_code=True)
def _(T, locks, mo, track):
    mo.stop(1 not in locks)
    layer1 = mo.ui.dropdown(options=T.layer_names(track), value=track.linear_layer,
                            label="Layer")
    peek1 = mo.ui.switch(label="Math peek")
    return layer1, peek1


@app.cell(hide_code=True)
def _(T, layer1, mo, peek1, track, views):
    _est = T.track_profile(track).layer(layer1.value).to_dict()
    mo.vstack([mo.hstack([layer1, peek1], justify="start", gap=2),
               mo.md(views.card_markdown(_est, track.work_unit))])


@app.cell(hide_code=True)
def _(locks, mo, questions, reveal_view, track):
    mo.stop(1 not in locks)
    reveal_view(track, questions[1], locks[1])


@app.cell(hide_code=True)
def _(locks, mo, notes, reflection_form, track):
    mo.stop(1 not in locks)
    reflect1 = reflection_form(track, 1, notes.get(1))
    return (reflect1,)


@app.cell(hide_code=True)
def _(notes, reflect1, reflection_view):
    reflection_view(reflect1, notes.get(1))


@app.cell(hide_code=True)
def _(mo):
    mo.md("""## Part 2 · Scaling Reality Check""")


@app.cell(hide_code=True)
def _(lock_form, locks, questions, track):
    lock2 = lock_form(track, questions[2]) if 2 not in locks else None
    return (lock2,)


@app.cell(hide_code=True)
def _(lock2, lock_view, locks, questions):
    lock_view(questions[2], locks.get(2), lock2)


@app.cell(hide_code=True)
def _(locks, mo, questions, reveal_view, track):
    mo.stop(2 not in locks)
    reveal_view(track, questions[2], locks[2])


@app.cell(hide_code=True)
def _(locks, mo, notes, reflection_form, track):
    mo.stop(2 not in locks)
    reflect2 = reflection_form(track, 2, notes.get(2))
    return (reflect2,)


@app.cell(hide_code=True)
def _(notes, reflect2, reflection_view):
    reflection_view(reflect2, notes.get(2))


@app.cell(hide_code=True)
def _(mo):
    mo.md("""## Part 3 · Operator Budget""")


@app.cell(hide_code=True)
def _(lock_form, locks, questions, track):
    lock3 = lock_form(track, questions[3]) if 3 not in locks else None
    return (lock3,)


@app.cell(hide_code=True)
def _(lock3, lock_view, locks, questions):
    lock_view(questions[3], locks.get(3), lock3)


@app.cell(hide_code=True)
def _(locks, mo, questions, reveal_view, track):
    mo.stop(3 not in locks)
    reveal_view(track, questions[3], locks[3])


@app.cell(hide_code=True)
def _(locks, mo, notes, reflection_form, track):
    mo.stop(3 not in locks)
    reflect3 = reflection_form(track, 3, notes.get(3))
    return (reflect3,)


@app.cell(hide_code=True)
def _(notes, reflect3, reflection_view):
    reflection_view(reflect3, notes.get(3))


@app.cell(hide_code=True)
def _(get_design_rev, get_locks_rev, get_notes_rev, get_probes_rev, ledger, mo, report):
    get_locks_rev(), get_probes_rev(), get_design_rev(), get_notes_rev()
    _states = ledger.states()
    mo.vstack([
        mo.md("## Report\n\nEverything you locked, probed, designed and wrote, for every track."),
        mo.hstack([
            mo.download(data=lambda: report.report_json_bytes(ledger.states()),
                        filename="ridgeline-report.json", mimetype="application/json",
                        label="Download report (JSON)"),
            mo.download(data=lambda: report.report_markdown(ledger.states()).encode("utf-8"),
                        filename="ridgeline-report.md", mimetype="text/markdown",
                        label="Download report (Markdown)"),
        ], justify="start"),
        mo.md(f"*Ledger: `{ledger.path}` · {sum(len(s['locks']) for s in _states.values())} "
              f"locks across {len(_states)} track(s).*"),
    ])


if __name__ == "__main__":
    app.run()
