"""The marimo lab, headless: it runs, gates the workbench on the lock, writes the ledger through
its widgets, renders student text inert, holds no formulas, loads no torch, exports, serves."""

from __future__ import annotations

import ast
import json
import signal
import socket
import subprocess
import sys
import time
import types
import urllib.request
from pathlib import Path

import marimo as mo
import pytest

from ridgeline.errors import RidgelineError
from ridgeline.lab import challenge as C
from ridgeline.lab import charts, server
from ridgeline.lab import entries as E
from ridgeline.lab import questions as Q
from ridgeline.lab import tracks as T
from ridgeline.lab import views as V
from ridgeline.lab import workbench as W
from ridgeline.lab.app import app
from ridgeline.lab.ledger import Ledger

APP = Path(server.APP)
HOSTILE = "</script><script>alert(1)</script> <b>bold</b> **md** $x^2$ \\(y\\) | 🚀"
TITLES = [t.title for t in T.TRACKS.values()]


def run(monkeypatch, ledger_path, title="Cloud Titan"):
    """Run every cell once, headless, as if ``title`` were picked; return (html, defs)."""
    monkeypatch.setenv("RIDGELINE_LEDGER", str(ledger_path))
    outs, defs = app.run(defs={"track_picker": types.SimpleNamespace(value=title)})
    html = "\n".join(o.text for o in outs if hasattr(o, "text"))
    return html, defs


def lock_all(led, track):
    for q in Q.questions(track):
        led.append("lock", track.key, {"part": q.part, "choice": q.choices[0],
                                       "number": 10.0 if q.numeric else None})


# -- the app runs, gated ----------------------------------------------------------------------

def test_before_any_lock_no_workbench_exists(monkeypatch, tmp_path):
    html, defs = run(monkeypatch, tmp_path / "l.jsonl")
    for name in ("lock1", "lock2", "lock3", "questions", "track"):
        assert name in defs
    for name in ("layer1", "layer1_name", "batch2", "traj", "probe_form", "mix3", "submit3",
                 "reflect1"):
        assert name not in defs, f"{name} exists before the lock"
    assert html.count("Lock your prediction to open the workbench") == 3
    assert html.count("Lock prediction") == 3
    for heading in ("Part 1 · Arithmetic Intensity Audit", "Part 2 · Scaling Reality Check",
                    "Part 3 · Operator Budget"):
        assert heading in html
    assert "Your intensity (FLOP/B)" in html
    assert not (tmp_path / "l.jsonl").exists()  # looking writes nothing


def test_track_picker_offers_the_four_tracks(monkeypatch, tmp_path):
    monkeypatch.setenv("RIDGELINE_LEDGER", str(tmp_path / "l.jsonl"))
    _, defs = app.run()
    picker = defs["track_picker"]
    assert list(picker.options) == ["Cloud Titan", "Edge Guardian", "Mobile Nomad",
                                    "Tiny Pioneer"]
    assert defs["track"].key == "cloud"


@pytest.mark.parametrize("title", TITLES)
def test_every_part_opens_after_its_lock(monkeypatch, tmp_path, title):
    track = T.get_track(title)
    led = Ledger(tmp_path / "l.jsonl")
    lock_all(led, track)
    game = W.new_game(track)
    for k in range(5):  # five probes spread over the range
        led.append("probe", track.key, E.probe_payload(game, game.lo + k * (game.hi - game.lo) // 4))
    led.append("design", track.key,
               E.design_payload(C.evaluate_design(track, C.starting_design(track)), None, None, 20))
    html, defs = run(monkeypatch, led.path, title)
    for name in ("layer1", "layer1_name", "batch2", "scale2", "traj", "game", "mix3", "design3",
                 "submit3", "submitted", "reflect1", "reflect2", "reflect3"):
        assert name in defs, name
    assert html.count("Locked at ") == 3
    assert defs["game"].used == 5 and "Probes used: 5/5" in html
    # the solver's answer after the fifth probe, per track (HTML-escaped "(" is &#40;):
    # cloud gate_proj, fp8 (s = 1), closed form M* = R.K.N / (2NK - R(K + N)) with
    #   R = 1978.9e12 / 3.35e12 = 590.7, K = 8192, N = 28672 -> 309.7 rows;
    # edge and tiny: bisection (833 px, 372.4 frames); mobile's last conv stays memory-bound
    #   over the whole resolution range (intensity 1.99 -> 511 op/B < ridge 586)
    revealed = {"cloud": "Crossover at batch = 309.7 &#40;memory",
                "edge": "Crossover at resolution = 833 &#40;memory",
                "mobile": "features.18.conv never crosses",
                "tiny": "Crossover at frames = 372.4 &#40;memory"}
    assert revealed[track.key] in html
    # the live verdict (the instant widget's card, lab/instant_part3.py) is the engine's for
    # the submitted (starting) design (its checks are tested in test_lab_challenge.py)
    verdict = C.evaluate_design(track, C.starting_design(track)).passes
    shown, hidden = ("PASS", "FAIL") if verdict else ("FAIL", "PASS")
    mix = defs["mix3_w"]
    card = mix.table[mix.index]["card"]
    assert f"Status: {shown}" in card and f"Status: {hidden}" not in card
    assert "Status: " not in html  # the card is the widget's, sent as its table
    assert "Submitted design" in html
    assert " object at 0x" not in html  # no Python repr leaks onto the page
    # every part's reveal, each after its workbench task; the whole trajectory after the probes
    assert verdicts(html) == 3 and "The reveal appears after" not in html
    assert "curve, and where it crosses the ridge, appear after" not in html
    for text in ("Math peek", "The stakeholder challenge",
                 "What the engine says of the trade-off", "Submit design",
                 "Reveal", "Save reflection", "Download report (JSON)",
                 "Download report (Markdown)"):
        assert text in html, text
    assert mix.current_choices() == {s.name: C.starting_design(track)[s.name]
                                     for s in C.toolkit_slots(track)}
    # Part 1's instant Layer picker starts on the track's Linear layer (lab/instant_part1.py)
    assert defs["layer1_name"] == track.linear_layer == defs["layer1_w"].current_choices()["Layer"]
    p1 = defs["layer1_w"]  # its card is the widget's, sent as its table (like Part 3's)
    for text in ("MACs", "FLOPs", "Intensity", "Ridge", "Bound", "Time", "Energy"):
        assert text in p1.table[p1.index]["card"], text
    # the workbench sliders start on one of their own stops
    # Part 2's batch is the instant widget's outer slider, starting on the default stop
    assert defs["scale2_w"].page_label == "Batch"
    assert defs["batch2"] == V.slider_default(track, "batch", part=2) in defs["scale2_w"].grid.values
    # Part 3's batch and scale are the toolkit widget's range inputs, on the sliders' starts
    assert (defs["batch3"], defs["scale3"]) == defs["mix3_w"].current_workload() == (
        V.slider_default(track, "batch", part=3), V.slider_default(track, track.scale_param, part=3))
    assert [w["name"] for w in defs["mix3_w"].work] == ["Batch", track.scale_label]


def verdicts(html: str) -> int:
    """How many reveals the page shows (each opens with one of these verdicts)."""
    return sum(html.count(v) for v in ("Your prediction was right.", "Not this time.",
                                       "This lock cannot be graded"))


@pytest.mark.parametrize("title", ["Cloud Titan", "Edge Guardian"])
def test_reveals_wait_for_the_five_probes_and_the_design(monkeypatch, tmp_path, title):
    track = T.get_track(title)
    led = Ledger(tmp_path / "l.jsonl")
    lock_all(led, track)
    html, defs = run(monkeypatch, led.path, title)
    assert "Locked at" in html and verdicts(html) == 1  # Part 1's: its workbench is the card
    assert "The reveal appears after your five probes." in html
    assert "The reveal appears after you submit a design." in html
    game = W.new_game(track)
    for k in range(4):  # one short of the 5-move rule
        led.append("probe", track.key, E.probe_payload(game, game.lo + k * (game.hi - game.lo) // 4))
    html, defs = run(monkeypatch, led.path, title)
    assert defs["game"].used == 4 and "Probes used: 4/5" in html
    assert "Crossover at" not in html and verdicts(html) == 1
    assert "The reveal appears after your five probes." in html
    # the plot leaves the probe layer's curve out: only the probed points, if on its axis
    assert "curve, and where it crosses the ridge, appear after your 5 probes" in html
    on_axis = game.param == track.scale_param
    svg = defs["scale2_w"].svg  # the instant slider's plot (lab/instant_part2.py)
    assert svg.count("<title>probed ") == (4 if on_axis else 0)
    gated = game.layer == track.scaling_layer_name   # the card is the probe layer's (Edge)
    assert all(("its numbers appear after your probes" in row["card"]) == gated
               for row in defs["scale2_w"].table)
    led.append("probe", track.key, E.probe_payload(game, game.hi))
    html, _ = run(monkeypatch, led.path, title)
    assert "Crossover at" in html and verdicts(html) == 2
    assert "The reveal appears after your five probes." not in html
    assert "The reveal appears after you submit a design." in html
    led.append("design", track.key,
               E.design_payload(C.evaluate_design(track, C.starting_design(track)), None, None, 20))
    html, _ = run(monkeypatch, led.path, title)
    assert verdicts(html) == 3 and "The reveal appears after" not in html


def test_locked_choice_is_shown_disabled_with_its_time(monkeypatch, tmp_path):
    led = Ledger(tmp_path / "l.jsonl")
    q = Q.questions(T.CLOUD)[1]
    entry = led.append("lock", "cloud", {"part": 2, "choice": q.choices[1]})
    html, _ = run(monkeypatch, led.path)
    assert f"Locked at {V.when(entry['time'])}" in html
    i = html.index("marimo-radio", html.index("Part 2 · Scaling Reality Check"))
    radio = html[i:html.index("</marimo-radio>", i)]
    assert "data-disabled='true'" in radio
    assert "data-initial-value='" + json.dumps(q.choices[1]).replace('"', "&quot;") in radio


# -- the widgets write the ledger --------------------------------------------------------------

def test_lock_form_stores_the_first_lock_only(monkeypatch, tmp_path):
    path = tmp_path / "l.jsonl"
    _, defs = run(monkeypatch, path)
    q = defs["questions"][1]
    form = defs["lock1"]
    form._update({"choice": q.choices[1], "number": 7.5})   # what a submit sends
    form._update({"choice": q.choices[0], "number": 99.0})  # a second tab, a second click
    (lock,) = [e for e in Ledger(path).entries() if e["kind"] == "lock"]
    assert lock["payload"]["choice"] == q.choices[1] and lock["payload"]["number"] == 7.5
    assert lock["payload"]["correct"] == Q.reveal(T.CLOUD, 1, q.choices[1], 7.5).correct
    _, defs = run(monkeypatch, path)  # a reload restores it and opens the workbench
    assert "layer1" in defs and defs["lock1"] is None


def test_lock_form_refuses_an_empty_answer(monkeypatch, tmp_path):
    path = tmp_path / "l.jsonl"
    _, defs = run(monkeypatch, path)
    form = defs["lock1"]
    assert form.validate({"choice": None, "number": None}) is not None
    assert form.validate({"choice": defs["questions"][1].choices[0], "number": None}) is not None
    form._update({"choice": None, "number": 3.0})
    assert Ledger(path).entries() == []


def test_probes_designs_and_reflections_are_stored_as_they_happen(monkeypatch, tmp_path):
    path = tmp_path / "l.jsonl"
    lock_all(Ledger(path), T.CLOUD)
    _, defs = run(monkeypatch, path)
    game = defs["game"]
    defs["probe_form"]._update(300)
    defs["submit3"]._update(1)
    defs["reflect3"]._update(HOSTILE)
    st = Ledger(path).state("cloud")
    (probe,) = st["probes"]
    assert probe["payload"]["value"] == 300
    assert probe["payload"]["answer"] == game.answer(300)
    design = st["design"]["payload"]
    expect = C.evaluate_design(T.CLOUD, C.starting_design(T.CLOUD), design["batch"],
                               design["scale"], design["floor"])
    assert design["result"]["power_w"] == pytest.approx(expect.power_w)
    assert design["result"]["passes"] == expect.passes
    assert st["reflections"][3]["payload"]["text"] == HOSTILE
    html, defs = run(monkeypatch, path)
    assert defs["game"].used == 1 and "Probes used: 1/5" in html
    assert "<script>alert" not in html and "Saved at" in html


def test_a_damaged_ledger_is_reported_not_overwritten(monkeypatch, tmp_path):
    path = tmp_path / "l.jsonl"
    Ledger(path).append("probe", "cloud", {"part": 2, "value": 8})
    damaged = path.read_bytes() + b"{not json\n"  # a ledger with a bad line (a file with no
    path.write_bytes(damaged)                      # ledger line at all is refused instead)
    html, _ = run(monkeypatch, path)
    assert "The ledger file was damaged" in html
    kept = list(tmp_path.glob("l.jsonl.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == damaged
    assert kept[0].name in html


# -- text and charts ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [HOSTILE, "$$\\frac{1}{0}$$", "\\[x\\]", "# heading", "a\nb"])
def test_escaped_text_renders_literally_in_marimo_markdown(text):
    html = mo.md(V.escape_md(text)).text
    assert "<script" not in html and "<b>" not in html and "<h1" not in html
    assert "marimo-tex" not in html  # no LaTeX was triggered


def test_slider_stops_cover_the_range_and_hold_the_default():
    for track in T.TRACKS.values():
        for param in ("batch", track.scale_param):
            for part in (2, 3):
                lo, hi, _ = track.sliders[param]
                args = V.slider_args(track, param, part)
                steps = args["steps"]
                assert steps == sorted(set(steps)) and steps[0] == lo and steps[-1] == hi
                assert args["value"] in steps


@pytest.mark.parametrize("key", list(T.TRACKS))
def test_every_chart_is_a_valid_vega_lite_spec(key):
    alt = pytest.importorskip("altair")
    track = T.get_track(key)
    traj = W.trajectory(track)
    results = C.enumerate_designs(track)
    specs = [charts.roofline_chart(W.roofline(track), highlight=track.linear_layer),
             charts.gauge_chart(W.layer_card(track, track.linear_layer)),
             charts.reuse_chart(W.compare_linear_conv(track)["rows"]),
             charts.trajectory_chart(traj, track.scale_label),
             charts.growth_chart(traj, track.scale_label),
             charts.design_chart(V.design_rows(results), V.design_rows(results[:1])[0],
                                 results[0].floor, results[0].energy_budget_j,
                                 ridge=results[0].ridge)]
    for chart in specs:
        mime, body = chart._mime_()
        assert mime.startswith("application/vnd.vegalite")
        spec = json.loads(body, parse_constant=pytest.fail)  # strict JSON: no NaN/Infinity
        alt.LayerChart.from_dict(spec, validate=True)  # altair's Vega-Lite schema agrees
        assert all(layer["data"]["values"] for layer in spec["layer"]), "an empty layer"


# -- the notebook is wiring only ---------------------------------------------------------------

def test_notebook_holds_no_formulas_or_constants():
    tree = ast.parse(APP.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp):
            # the only arithmetic allowed is a counter's "+ 1" (ledger revisions, clicks)
            assert isinstance(node.op, ast.Add) and isinstance(node.right, ast.Constant) \
                and node.right.value == 1, f"formula at line {node.lineno}: {ast.unparse(node)}"
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            # part numbers 1-3 and layout sizes (gap, rows) only; no physics constants
            assert isinstance(node.value, int) and 0 <= node.value <= 5, \
                f"constant {node.value!r} at line {node.lineno}"
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            assert not any(n.split(".")[0] in {"numpy", "math", "torch", "onnx", "altair"}
                           for n in names)


def test_app_loads_no_torch_onnx_or_altair():
    code = ("import sys\nfrom ridgeline.lab.app import app\napp.run()\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'torch', 'onnx', 'onnxruntime', 'altair', 'transformers'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False, timeout=180, env=server.environment(None))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_marimo_check_finds_nothing():
    proc = subprocess.run([sys.executable, "-m", "marimo", "check", str(APP)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_marimo_export_html_succeeds(tmp_path):
    out = tmp_path / "lab.html"
    proc = subprocess.run([sys.executable, "-m", "marimo", "export", "html", str(APP), "-o",
                           str(out)], capture_output=True, text=True, timeout=300, check=False,
                          env=server.environment(tmp_path / "l.jsonl"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.stat().st_size > 10_000
    assert "Arithmetic Intensity Audit" in out.read_text(encoding="utf-8")


# -- the server --------------------------------------------------------------------------------

def test_server_command_is_headless_run_mode_on_loopback(tmp_path):
    cmd = server.command("127.0.0.1", 2718)
    assert cmd[1:4] == ["-m", "marimo", "run"] and cmd[4] == str(APP)
    for flag in ("--headless", "--no-token"):
        assert flag in cmd
    assert "--include-code" not in cmd  # run mode hides the code
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and cmd[cmd.index("--port") + 1] == "2718"
    env = server.environment(tmp_path / "x" / ".." / "l.jsonl")
    assert env["RIDGELINE_LEDGER"] == str((tmp_path / "l.jsonl").resolve())
    import inspect
    assert inspect.signature(server.serve).parameters["host"].default == "127.0.0.1"


@pytest.mark.parametrize("port", [0, -1, 65536, 2718.0, "2718", True])
def test_bad_ports_are_a_clear_error(port):
    with pytest.raises(RidgelineError, match="port"):
        server.check_port(port)


def test_a_busy_port_is_refused_before_starting(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert not server.port_free("127.0.0.1", port)
        with pytest.raises(RidgelineError, match="in use"):
            server.start("127.0.0.1", port, tmp_path / "l.jsonl")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_prints_the_url_and_stops_its_server_on_sigterm(tmp_path):
    port = free_port()
    code = ("import sys\nfrom ridgeline.lab.server import serve\n"
            f"sys.exit(serve(port={port}, ledger_path={str(tmp_path / 'l.jsonl')!r}))")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        line = ""
        while not line.startswith("ridgeline lab:"):  # marimo's own banner comes first
            line = proc.stdout.readline()
            assert line, "serve() ended without printing its URL"
        assert line.startswith(f"ridgeline lab: http://127.0.0.1:{port}")  # once it answers
        assert str(tmp_path / "l.jsonl") in line
        assert not server.port_free("127.0.0.1", port)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    deadline = time.monotonic() + 30
    while not server.port_free("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert server.port_free("127.0.0.1", port), "the marimo server outlived ridgeline lab"


def test_server_serves_the_app(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = server.start("127.0.0.1", port, tmp_path / "l.jsonl")
    try:
        address = server.url("127.0.0.1", port)
        assert server.wait_ready(address, timeout_s=90, proc=proc)
        with urllib.request.urlopen(address, timeout=10) as r:
            assert r.status == 200
            assert "marimo" in r.read().decode("utf-8", "replace").lower()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_lock_from_another_version_still_renders(monkeypatch, tmp_path):
    led = Ledger(tmp_path / "l.jsonl")
    led.append("lock", "cloud", {"part": 1, "choice": "an answer no longer offered",
                                 "number": "inf"})
    led.append("probe", "cloud", {"part": 2, "value": "not a number"})
    html, defs = run(monkeypatch, led.path)
    assert "Your locked answer: an answer no longer offered" in html
    assert "This lock cannot be graded" in html
    assert "layer1" in defs  # the workbench still opens


def test_a_failed_write_is_shown_not_swallowed(monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the ledger's folder should be")
    _, defs = run(monkeypatch, blocker / "l.jsonl")
    q = defs["questions"][2]
    defs["lock2"]._update({"choice": q.choices[0]})  # the write fails: no exception escapes
    message = defs["get_write_error"]()
    assert message.startswith("Your lock was not saved to") and "l.jsonl" in message


def test_a_tab_that_locks_second_is_told_the_first_lock_stands(monkeypatch, tmp_path):
    path = tmp_path / "l.jsonl"
    _, tab_a = run(monkeypatch, path)
    _, tab_b = run(monkeypatch, path)  # both opened before either locked
    q = tab_a["questions"][2]
    tab_a["lock2"]._update({"choice": q.choices[0]})
    tab_b["lock2"]._update({"choice": q.choices[1]})
    (lock,) = [e for e in Ledger(path).entries() if e["kind"] == "lock"]
    assert lock["payload"]["choice"] == q.choices[0]
    assert tab_a["get_notice"]() is None
    assert "already locked" in tab_b["get_notice"]() and q.choices[0] in tab_b["get_notice"]()


@pytest.mark.parametrize("key", list(T.TRACKS))
def test_design_chart_shades_only_passing_mixes(key):
    """The green halo layer holds exactly the mixes that pass every check (a mix inside the
    floor and budget rules that misses the deadline or does not fit is not shaded)."""
    results = C.enumerate_designs(key)
    spec = json.loads(charts.design_chart(V.design_rows(results), None, results[0].floor,
                                          results[0].power_budget_w, y_field="power_w")._mime_()[1])
    halo = spec["layer"][0]
    shaded = {d["label"] for d in halo["data"]["values"]} if halo["mark"]["opacity"] else set()
    assert shaded == {r["label"] for r in V.design_rows(results) if r["passes"]}
    inside = [r for r in results if r.checks["power"] and r.checks["intensity"]]
    assert all(V.design_rows([r])[0]["label"] not in shaded for r in inside if not r.passes)


@pytest.mark.parametrize("key", list(T.TRACKS))
def test_a_layer_has_one_colour_in_both_part2_charts(key):
    """The growth chart colours each layer as the instant trajectory plot does
    (instant_part2: PALETTE by the track's trajectory_layers order)."""
    from ridgeline.lab.instant import PALETTE
    track = T.get_track(key)
    spec = json.loads(charts.growth_chart(W.trajectory(track), track.scale_label,
                                          palette=PALETTE)._mime_()[1])
    scale = spec["layer"][0]["encoding"]["color"]["scale"]
    assert scale["domain"] == list(track.trajectory_layers)
    assert scale["range"] == [PALETTE[list(track.trajectory_layers).index(n) % len(PALETTE)]
                              for n in scale["domain"]]
