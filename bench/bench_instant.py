"""The instant slider against marimo's own round trip, in Chromium, in the same run.

Two apps, served with ``marimo run`` on free loopback ports:

* **instant**: tests/browser/fixtures/instant_app.py, one ``InstantSlider`` over Part 2's
  scale slider (Cloud: sequence length, 11 stops), its card and trajectory plot looked up in
  the browser from ``part2_table``; Python hears the stop 150 ms after the slider rests;
* **peer**: bench/peer_slider_app.py, one ``mo.ui.slider`` -> one text + one Vega-Lite chart
  through the kernel (marimo's floor on this machine; bench_lab.py uses it too).

Measures (Playwright drives Debian's /usr/bin/chromium; times from the page's own clock):

* **move**: one arrow key -> the first animation frame in which the card (instant: card HTML
  and the plot's marker; peer: the text and the chart's drawing) has changed, timed from the
  keydown event, ``--moves`` moves walking the stops back and forth, the app idle between moves;
* **first render**: navigation start -> card and plot painted, fresh browser context each time
  (one warm-up first);
* **burst**: 20 keys as fast as Playwright presses them (15 x ArrowRight then 5 x ArrowLeft from
  the first stop): last keydown -> the final stop shown, -> Python holds it (instant: the echo
  cell; peer: its text), how many values Python received, and whether the slider showed any
  other stop after the last key (snap-back).

Aims (issue #12): move p95 <= 50 ms, first render <= 1.5 s. Prints; never asserts.
Run: ``.venv/bin/python bench/bench_instant.py [--quick] [--moves 120]``.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

AIM_P95_MS, AIM_RENDER_S = 50.0, 1.5
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
BURST = ["ArrowRight"] * 15 + ["ArrowLeft"] * 5
PEER_APP = Path(__file__).with_name("peer_slider_app.py")

# Keydown times (capture phase on the document: the widget's input sits in a shadow root and
# keyboard events are composed) and a per-frame sampler of what the slider shows: an entry
# sampled in a requestAnimationFrame callback is painted in that frame.
RECORDER_JS = """
(sigSrc) => {
  const b = window.__b = {lastKey: 0, keys: 0, seen: []};
  document.addEventListener('keydown', () => { b.lastKey = performance.now(); b.keys += 1; }, true);
  const sig = (0, eval)('(' + sigSrc + ')');
  const tick = () => {
    const s = sig();
    const last = b.seen.length ? b.seen[b.seen.length - 1].s : null;
    if (s !== null && s !== last) b.seen.push({t: performance.now(), s});
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
"""

# The first sampled frame after the last keydown that shows ``want``: ms from that keydown.
SHOWN_JS = """
(want) => { const b = window.__b;
  const e = b.seen.find(x => x.t >= b.lastKey && x.s === want);
  return e ? Math.max(e.t - b.lastKey, 0.001) : false; }
"""

# Every stop shown after the last keydown (a snap-back shows up as more than one).
AFTER_LAST_JS = "() => window.__b.seen.filter(x => x.t >= window.__b.lastKey).map(x => x.s)"

# A marimo slider's thumb (inside the element's shadow root): its aria-valuenow.
PEER_STOP_JS = """() => {
  const el = document.querySelector('marimo-slider');
  const r = el && (el.shadowRoot || el).querySelector('[role=slider]');
  return r ? r.getAttribute('aria-valuenow') : null; }"""


def instant_sig_js() -> str:
    from instant_ui import STATE_JS
    return ("() => { const s = (" + STATE_JS.strip() + ")();"
            " return s ? `${s.index}|${s.output}|${s.marker}` : null; }")


def instant_sig(i: int, table) -> str:
    from instant_ui import _js_number
    x, y = table.rows[i]["markers"][1]
    return f"{i}|{table.rows[i]['label']}|translate({_js_number(x)} {_js_number(y)})"


def peer_changed_js() -> str:
    """The peer's text and chart drawing both changed (bench_lab's signature): ms since keydown."""
    from bench_lab import _SIGNATURE_JS
    return ("([n, old]) => { const sig = (" + _SIGNATURE_JS.strip() + ");"
            " if (sig(n, false).text === old.text) return false;"
            " const s = sig(n, true); if (old.nCharts && s.charts === old.charts) return false;"
            " return Math.max(performance.now() - window.__b.lastKey, 0.001); }")


# -- the two apps --------------------------------------------------------------------------

class Instant:
    name = "instant"

    def __init__(self):
        from ridgeline.lab.instant_part2 import part2_table
        self.table = part2_table("cloud")

    def open(self, page, url):
        from instant_ui import slider
        from marimo_dom import open_app
        open_app(page, url)
        page.evaluate(RECORDER_JS, instant_sig_js())
        self.thumb = slider(page, self.table.label)
        self.thumb.focus()

    def index(self, page) -> int:
        return int(self.thumb.evaluate("e => e.valueAsNumber"))

    def last(self) -> int:
        return len(self.table.rows) - 1

    def move(self, page, key: str, target: int) -> float:
        self.thumb.press(key)
        ms = page.wait_for_function(SHOWN_JS, arg=instant_sig(target, self.table),
                                    polling="raf", timeout=60_000).json_value()
        self.settle(page, target)
        return ms

    def settle(self, page, target: int) -> float:
        """Wait until Python holds ``target`` (the echo cell); ms from the last keydown."""
        return text_settled(page, f"Python has stop {target}: {self.table.rows[target]['label']} (")

    def shown_sig(self, target: int) -> str:
        return instant_sig(target, self.table)

    def painted_js(self) -> str:
        from instant_ui import STATE_JS
        return ("() => { const s = (" + STATE_JS.strip() + ")();"
                " return !!(s && s.card && window.__rlInstant.querySelector('svg path'))"
                " && performance.now(); }")


def text_settled(page, want: str) -> float:
    """Wait until the page shows ``want`` (Python has the stop) and the kernel is idle; ms from
    the last keydown to the text."""
    js = ("(w) => document.body.innerText.includes(w) &&"
          " Math.max(performance.now() - window.__b.lastKey, 0.001)")
    ms = page.wait_for_function(js, arg=want, polling="raf", timeout=60_000).json_value()
    from marimo_dom import wait_idle
    wait_idle(page, quiet_ms=150)
    return ms


class Peer:
    name = "peer"
    steps = tuple(2**i for i in range(11))

    def open(self, page, url):
        from marimo_dom import open_app, slider_thumb
        open_app(page, url)
        page.evaluate(RECORDER_JS, PEER_STOP_JS)
        self.thumb = slider_thumb(page, "Batch")
        self.thumb.focus()

    def index(self, page) -> int:
        return int(float(self.thumb.get_attribute("aria-valuenow")))

    def last(self) -> int:
        return len(self.steps) - 1

    def move(self, page, key: str, target: int) -> float:
        from bench_lab import _SIGNATURE_JS
        old = page.evaluate(_SIGNATURE_JS, 1)
        self.thumb.press(key)
        ms = page.wait_for_function(peer_changed_js(), arg=[1, old], polling="raf",
                                    timeout=60_000).json_value()
        self.settle(page, target)
        return ms

    def settle(self, page, target: int) -> float:
        return text_settled(page, f"Intensity at batch {self.steps[target]}:")

    def shown_sig(self, target: int) -> str:
        return str(target)

    def painted_js(self) -> str:
        return ("() => document.body.innerText.includes('Intensity at batch') &&"
                " !!document.querySelector('.vega-embed canvas, .vega-embed svg.marks')"
                " && performance.now()")


# -- measurements --------------------------------------------------------------------------

def moves(app, page, n: int) -> np.ndarray:
    """``n`` single-key moves walking the stops back and forth: ms keydown -> painted."""
    out, key = [], "ArrowRight"
    for _ in range(n):
        i = app.index(page)
        if (key == "ArrowRight" and i >= app.last()) or (key == "ArrowLeft" and i <= 0):
            key = "ArrowLeft" if key == "ArrowRight" else "ArrowRight"
        target = i + 1 if key == "ArrowRight" else i - 1
        out.append(app.move(page, key, target))
    return np.array(out)


# Milestones of a first render, sampled every frame (ms from navigation start): the page's
# DOMContentLoaded, marimo's first cell, its websocket open, the kernel ready (marimo_dom's
# hook), the card and plot painted.
MILESTONES_JS = """
(paintedSrc) => { const f = window.__fr = window.__fr || {}; const now = performance.now();
  const painted = (0, eval)('(' + paintedSrc + ')');
  if (!f.app && document.querySelector('#App .marimo-cell')) f.app = now;
  if (!f.open && document.querySelector('#App[data-connection-state=OPEN]')) f.open = now;
  if (!f.ready && window.__rl && window.__rl.ready) f.ready = now;
  if (painted()) { f.painted = now;
    f.dom = performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd; return f; }
  return false; }
"""
STAGES = ("dom", "app", "open", "ready", "painted")


def first_render(app, browser, url: str, runs: int) -> dict:
    """Seconds from navigation start to each milestone, a fresh browser context each run
    (after a warm-up run), then a second visit in that context (its HTTP cache warm):
    {stage: array, "warm": array of the second visits' painted times}."""
    out, warm = [], []
    for _ in range(runs + 1):
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        out.append(_visit(app, ctx, url))
        warm.append(_visit(app, ctx, url)["painted"])
        ctx.close()
    res = {k: np.array([o[k] for o in out[1:]]) for k in STAGES}
    return res | {"warm": np.array(warm[1:])}


def _visit(app, ctx, url: str) -> dict:
    from marimo_dom import _HOOK_JS
    page = ctx.new_page()
    page.add_init_script(_HOOK_JS)
    page.goto(url, wait_until="commit")
    f = page.wait_for_function(MILESTONES_JS, arg=app.painted_js(), polling="raf",
                               timeout=120_000).json_value()
    page.close()
    return {k: f.get(k, float("nan")) / 1e3 for k in STAGES}


def burst(app, page) -> dict:
    """20 keys at once from the first stop: times from the last keydown, requests, snap-back."""
    page.keyboard.press("Home")
    app.settle(page, 0)
    posts = []
    listener = lambda req: posts.append(req.url) if req.method == "POST" else None
    page.on("request", listener)
    for key in BURST:
        page.keyboard.press(key)
    final = min(15, app.last()) - 5
    shown = page.wait_for_function(SHOWN_JS, arg=app.shown_sig(final), polling="raf",
                                   timeout=60_000).json_value()
    held = app.settle(page, final)
    time.sleep(1.0)
    page.remove_listener("request", listener)
    after = page.evaluate(AFTER_LAST_JS)
    return {"shown": shown, "held": held, "posts": len(posts),
            "kinds": sorted({re.sub(r"^https?://[^/]+", "", u) for u in posts}),
            "snap": [s for s in after if s != app.shown_sig(final)], "final": final}


# -- the run -------------------------------------------------------------------------------

def measure(app, browser, url: str, n_moves: int, renders: int) -> dict:
    fr = first_render(app, browser, url, renders)
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    app.open(page, url)
    mv = moves(app, page, n_moves)
    bu = burst(app, page)
    ctx.close()
    return {"moves": mv, "render": fr, "burst": bu}


def fmt_ms(ms: float) -> str:
    return f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def rows(res: dict) -> list[list[str]]:
    i, p = res["instant"], res["peer"]
    pct = lambda a, q: fmt_ms(float(np.percentile(a, q)))
    n, r = len(i["moves"]), len(i["render"]["painted"])
    snap = lambda b: "none" if not b["snap"] else f"{len(b['snap'])} other stops: {b['snap'][:4]}"
    return [
        [f"move: keydown -> painted, median (n={n})", pct(i["moves"], 50), pct(p["moves"], 50)],
        ["move: p95", pct(i["moves"], 95), pct(p["moves"], 95)],
        ["move: max", fmt_ms(float(i["moves"].max())), fmt_ms(float(p["moves"].max()))],
        [f"first render: navigation -> card+plot painted, median (n={r})",
         f"{np.median(i['render']['painted']):.2f} s", f"{np.median(p['render']['painted']):.2f} s"],
        ["first render: max", f"{i['render']['painted'].max():.2f} s",
         f"{p['render']['painted'].max():.2f} s"],
        ["  of which: DOM loaded / first cell shown / socket open / kernel ready (medians)",
         stages(i["render"]), stages(p["render"])],
        ["first render, second visit (browser cache warm), median",
         f"{np.median(i['render']['warm']):.2f} s", f"{np.median(p['render']['warm']):.2f} s"],
        ["burst (20 keys): last key -> final stop's card on screen",
         fmt_ms(i["burst"]["shown"]), fmt_ms(p["burst"]["held"])],
        ["burst: last key -> Python holds the final stop",
         fmt_ms(i["burst"]["held"]), fmt_ms(p["burst"]["held"])],
        ["burst: POST requests to the server", str(i["burst"]["posts"]), str(p["burst"]["posts"])],
        ["burst: other stops shown after the last key (snap-back)",
         snap(i["burst"]), snap(p["burst"])],
    ]


def stages(render: dict) -> str:
    return " / ".join(f"{np.nanmedian(render[k]):.2f}" for k in STAGES[:4]) + " s"


def print_table(table: list[list[str]]) -> None:
    head = ["measure", "instant (InstantSlider)", "peer (mo.ui.slider)"]
    widths = [max(len(r[k]) for r in [head, *table]) for k in range(3)]
    line = lambda r: "  ".join(c.ljust(w) if k == 0 else c.rjust(w)
                               for k, (c, w) in enumerate(zip(r, widths)))
    print(line(head))
    print("  ".join("-" * w for w in widths))
    for r in table:
        print(line(r))


def summary(res: dict) -> str:
    i = res["instant"]
    p95, render = float(np.percentile(i["moves"], 95)), float(np.median(i["render"]["painted"]))
    return (f"summary: instant move p95 {fmt_ms(p95)} ({'meets' if p95 <= AIM_P95_MS else 'MISSES'}"
            f" <= {AIM_P95_MS:.0f} ms); first render median {render:.2f} s "
            f"({'meets' if render <= AIM_RENDER_S else 'MISSES'} <= {AIM_RENDER_S} s); "
            f"peer move p95 {fmt_ms(float(np.percentile(res['peer']['moves'], 95)))}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10 moves, 1 render per app")
    ap.add_argument("--moves", type=int, default=120)
    ap.add_argument("--renders", type=int, default=5)
    ap.add_argument("--peer-first", action="store_true", help="measure the peer app first")
    a = ap.parse_args(argv)
    n_moves, renders = (10, 1) if a.quick else (a.moves, a.renders)
    try:
        from instant_ui import INSTANT_APP
        from playwright.sync_api import sync_playwright
        from servers import LabServer
    except ImportError as exc:
        print(f"bench_instant: skipped ({exc})")
        return 0
    if not Path(CHROMIUM).exists():
        print(f"bench_instant: skipped ({CHROMIUM} not found)")
        return 0
    import bench_core  # same folder: machine_line()
    apps = [(Instant(), INSTANT_APP), (Peer(), PEER_APP)][::-1 if a.peer_first else 1]
    res = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for app, path in apps:
            srv = LabServer(Path(tempfile.mkdtemp(prefix=f"bench_{app.name}_")), app=path).start()
            try:
                res[app.name] = measure(app, browser, srv.url, n_moves, renders)
            finally:
                srv.stop()
        browser.close()
    order = " -> ".join(app.name for app, _ in apps)
    print(f"# bench_instant: Cloud, Part 2 scale slider (11 stops) vs peer, measured {order}; "
          f"{bench_core.machine_line()}")
    print_table(rows(res))
    print(summary(res))
    print(f"# widget bundle: {bundle_line()}")
    return 0


def bundle_line() -> str:
    static = ROOT / "src" / "ridgeline" / "lab" / "static"
    sizes = {p.name: p.stat().st_size for p in sorted(static.iterdir()) if p.is_file()}
    import gzip
    gz = sum(len(gzip.compress(p.read_bytes())) for p in static.iterdir() if p.is_file())
    return (", ".join(f"{k} {v:,} B" for k, v in sizes.items())
            + f"; {sum(sizes.values()):,} B in all, {gz:,} B gzipped; no JS dependencies")


if __name__ == "__main__":
    sys.exit(main())
