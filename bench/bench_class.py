"""Classroom benches (issue 9); not CI. State the load average beside every figure you record.

    python bench/bench_class.py report [--students 500]
        synthetic students' exported reports -> `class-report` page; wall time (goal < 10 s)
    python bench/bench_class.py load [--students 10 20 40] [--ramp 1.0]
        one `ridgeline lab --class-dir` server and ONE headless Chromium (Playwright's async API,
        Debian's /usr/bin/chromium) holding N browser contexts, one per student; student i
        arrives ``i * ramp`` s after the first, opens ?student=sNN and, on Cloud Titan, locks
        Parts 1-2, commits 2 probes, locks Part 3, submits a design and saves a reflection.
        Reports: every entry in the right ledger, zero cross-talk, p95 time from each click to
        its line on disk (locks; probes, designs, reflections apart), server RSS per student.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "browser")]

from ridgeline.lab import questions as Q
from ridgeline.lab import report, server
from ridgeline.lab import tracks as T
from ridgeline.lab.ledger import state_of


def load_avg() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def synthetic_report(i: int, rng: random.Random) -> bytes:
    """One student's exported report: all four tracks, 3 locks, 5 probes, a design, notes."""
    states = {}
    for t in T.TRACKS.values():
        entries = []
        for n, q in enumerate(Q.questions(t), 1):
            entries.append({"id": f"{i}-{n}", "time": "2026-01-01T00:00:00.000Z", "kind": "lock",
                            "track": t.key, "payload": {
                                "part": q.part, "prompt": q.prompt,
                                "choice": rng.choice(list(q.choices)),
                                "number": 10 ** rng.uniform(0, 3) if q.numeric else None,
                                "correct": rng.random() < .5,
                                "computed": {"choice": q.choices[0], "number": 42.0}}})
        for v in sorted(rng.sample(range(1, 4096), 5)):
            entries.append({"id": f"{i}-p{v}", "time": "2026-01-01T00:00:01.000Z",
                            "kind": "probe", "track": t.key, "payload": {
                                "part": 2, "value": v, "answer": "memory" if v < 700 else
                                "compute"}})
        entries.append({"id": f"{i}-d", "time": "2026-01-01T00:00:02.000Z", "kind": "design",
                        "track": t.key, "payload": {"part": 3, "choices": {"mixer": "conv"},
                                                    "result": {
                                                        "intensity": 10 ** rng.uniform(0, 3),
                                                        "energy_j": 10 ** rng.uniform(-3, 0),
                                                        "floor": 20.0, "energy_budget_j": .1,
                                                        "passes": rng.random() < .5}}})
        entries.append({"id": f"{i}-r", "time": "2026-01-01T00:00:03.000Z",
                        "kind": "reflection", "track": t.key,
                        "payload": {"part": 1, "text": f"student {i} thinks " * 5}})
        states[t.key] = state_of(entries, t.key)
    return report.report_json_bytes(states, student=f"s{i:04d}")


def bench_report(n: int) -> dict:
    rng = random.Random(9)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            Path(tmp, f"s{i:04d}.json").write_bytes(synthetic_report(i, rng))
        t0 = time.perf_counter()
        out = server.write_class_report([tmp], Path(tmp) / "class.html")
        dt = time.perf_counter() - t0
        size = (Path(tmp) / "class.html").stat().st_size
    return {"students": out["students"], "skipped": len(out["skipped"]), "seconds": round(dt, 2),
            "html_bytes": size, "load": load_avg()}


STEP_TIMEOUT_S = 300  # one click's round trip, at most, before the student gives up


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its reaped children so far (/proc stat)."""
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in f[11:15]) / os.sysconf("SC_CLK_TCK")


def _marimo_pid(server_pid: int) -> int:
    """The marimo child of ``ridgeline lab`` (where every student's kernel runs, as a thread)."""
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if int((p / "stat").read_text().rsplit(")", 1)[1].split()[1]) == server_pid:
                    return int(p.name)
            except (OSError, ValueError, IndexError):
                continue
    return server_pid


def _tree_rss_kb(root: int) -> int:
    """Resident memory (kB) of process ``root`` and all its descendants (from /proc)."""
    parent, rss = {}, {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            parent[int(p.name)] = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
            rss[int(p.name)] = int((p / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    keep, grew = {root}, True
    while grew:
        new = {pid for pid, pp in parent.items() if pp in keep and pid not in keep}
        keep |= new
        grew = bool(new)
    return sum(rss.get(pid, 0) for pid in keep) * os.sysconf("SC_PAGE_SIZE") // 1024


# -- one simulated student: a browser context driving the real page ----------------------------

PROBES = 2  # probes per student (Part 2's 5-move game allows 5)


class Student:
    """One student in their own browser context: locks, probes, a design, a reflection.

    Every action is a click on the page; its latency is from the click to the line on disk in
    the student's own ledger (polled every 20 ms), so it covers the browser, marimo's websocket,
    the kernel's cell runs and the ledger's locked write.
    """

    def __init__(self, idx: int, url: str, cdir: Path):
        self.idx, self.sid = idx, f"s{idx:02d}"
        self.url, self.ledger = url, cdir / f"s{idx:02d}.jsonl"
        self.number = 100.0 + idx  # Part 1's numeric answer: unique, so cross-talk shows
        self.probes = sorted({2 + idx, 1000 - idx})[:PROBES]  # never the field's start, 1
        self.note = f"note of s{idx:02d}"
        self.lat: dict[str, list[float]] = {"lock": [], "probe": [], "design": [],
                                            "reflection": []}
        self.open_s = None
        self.error = None

    def _count(self, kind: str) -> int:
        try:
            data = self.ledger.read_bytes()
        except OSError:
            return 0
        return data.count(f'"kind":"{kind}"'.encode()) + data.count(f'"kind": "{kind}"'.encode())

    async def _saved(self, page, kind: str, click) -> None:
        """Click, then wait for one more ``kind`` line on disk, then for the page to settle."""
        import asyncio
        before = self._count(kind)
        t0 = time.perf_counter()
        await click()
        while self._count(kind) <= before:
            if time.perf_counter() - t0 > STEP_TIMEOUT_S:
                raise TimeoutError(f"no {kind} saved {STEP_TIMEOUT_S} s after the click")
            await asyncio.sleep(0.02)
        self.lat[kind].append(time.perf_counter() - t0)
        await _idle(page)

    async def run(self, browser) -> None:
        ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
        ctx.set_default_timeout(STEP_TIMEOUT_S * 1000)
        page = await ctx.new_page()
        try:
            await self._session(page)
        except Exception as exc:  # noqa: BLE001 - a bench records failures, it does not stop
            self.error = f"{self.sid} ({await _where(page)}): {type(exc).__name__}: {exc}"[:600]
        finally:
            await ctx.close()

    async def _session(self, page) -> None:
        from lab_ui import PART_TITLES, part
        from marimo_dom import _HOOK_JS, form
        t0 = time.perf_counter()
        await page.add_init_script(_HOOK_JS)
        await page.goto(f"{self.url}?student={self.sid}")
        await page.get_by_text(PART_TITLES[1]).first.wait_for()
        await _idle(page)
        self.open_s = time.perf_counter() - t0
        for n in (1, 2):
            await self._lock(page, n)
        for k, v in enumerate(self.probes):
            await self._probe(page, k, v)
        await self._lock(page, 3)
        # the toolkit's first slot: a native select of the instant widget (lab/instant_part3.py)
        precision = part(page, 3).get_by_role("combobox").first
        await precision.select_option(index=self.idx % 2)
        await _idle(page)
        await self._saved(page, "design", lambda: part(page, 3).get_by_role(
            "button", name="Submit design", exact=True).first.click())
        note = form(part(page, 1), "Save reflection").first
        await note.locator("textarea").first.fill(self.note)
        await self._saved(page, "reflection", lambda: _submit(note, "Save reflection"))

    async def _probe(self, page, k: int, v: int) -> None:
        """Probe ``v`` once the page shows ``k`` probes used (the form is rebuilt after each
        probe: typing into the old one loses the value); the field must hold ``v`` on submit."""
        import re

        from lab_ui import part
        from marimo_dom import form
        await page.get_by_text(re.compile(rf"Probes used:\s*{k}\s*/\s*5")).first.wait_for()
        await _idle(page)
        probe = form(part(page, 2), "Commit probe").first
        field = probe.locator("marimo-number input").first
        for _ in range(3):
            await field.fill(str(v))
            await field.press("Tab")
            if (await field.input_value()).replace(",", "") == str(v):
                break
            await _idle(page)
        await self._saved(page, "probe", lambda: _submit(probe, "Commit probe"))

    async def _lock(self, page, n: int) -> None:
        from lab_ui import part
        from marimo_dom import form
        f = form(part(page, n), "Lock prediction").first
        radio = f.locator("marimo-radio").filter(has=page.locator("[role=radio]")).first
        await radio.locator("[role=radio]").nth(self.idx % 3).click()
        if n == 1:
            field = f.locator("marimo-number input").first
            await field.fill(repr(self.number))
            await field.press("Tab")
        await self._saved(page, "lock", lambda: _submit(f, "Lock prediction"))


async def _where(page) -> str:
    """Where a failed student's page stood: websocket state, kernel ready, cells run."""
    try:
        return await page.evaluate("""() => {
            const a = document.querySelector('#App'), st = window.__rl || {};
            const text = document.body.innerText.replace(/\\s+/g, ' ');
            const who = text.match(/Working as \\S+|Type your name[^.]*/);
            return `ws ${a ? a.dataset.connectionState : 'no #App'}, kernel ready ${!!st.ready},`
                + ` ${st.runs || 0} cell runs, ${document.querySelectorAll('.marimo-cell').length}`
                + ` cells, ${location.search}, ${who ? who[0] : 'no identity line'};`
                + ` page: ${text.slice(0, 160)}`; }""")
    except Exception as exc:  # noqa: BLE001 - the page itself may be gone
        return f"page unreadable: {type(exc).__name__}"


async def _submit(scope, label: str) -> None:
    await scope.get_by_role("button", name=label, exact=True).first.click()


async def _idle(page) -> None:
    """marimo's kernel idle and the page quiet for 400 ms (marimo_dom's test, polled slowly)."""
    from marimo_dom import _IDLE_JS
    await page.evaluate("() => { window.__rlQuietSince = performance.now(); }")
    await page.wait_for_function(_IDLE_JS, arg=400, polling=250, timeout=STEP_TIMEOUT_S * 1000)


def check_ledgers(students: list) -> dict:
    """Every entry in the right ledger and nothing of anyone else's (read from disk)."""
    from ridgeline.lab.ledger import Ledger
    complete, cross, wrong = 0, [], []
    marks = {s.sid: (s.number, s.note) for s in students}
    for s in students:
        entries = Ledger(s.ledger).entries() if s.ledger.exists() else []
        kinds = [e["kind"] for e in entries]
        locks = {e["payload"]["part"]: e for e in entries if e["kind"] == "lock"}
        probes = sorted(e["payload"]["value"] for e in entries if e["kind"] == "probe")
        notes = [e["payload"]["text"] for e in entries if e["kind"] == "reflection"]
        ok = (sorted(locks) == [1, 2, 3] and locks[1]["payload"].get("number") == s.number
              and probes == s.probes and kinds.count("design") == 1 and notes == [s.note]
              and len(entries) == 3 + PROBES + 2)
        complete += ok
        if s.ledger.exists() and not ok:
            wrong.append(f"{s.sid}: {len(entries)} entries, locks {sorted(locks)}, probes "
                         f"{probes}, designs {kinds.count('design')}, notes {len(notes)}")
        others = {o: m for o, m in marks.items() if o != s.sid}
        cross += [(s.sid, o) for o, (num, note) in others.items()
                  if note in notes or (1 in locks and locks[1]["payload"].get("number") == num)]
    return {"complete_ledgers": complete, "incomplete": wrong, "cross_talk": cross}


def _p95(xs: list[float]) -> float | None:
    return round(statistics.quantiles(xs, n=20, method="inclusive")[-1], 2) if len(xs) >= 2 \
        else None


async def _load(n: int, url: str, cdir: Path, ramp: float, server_pid: int) -> dict:
    import asyncio

    from conftest import CHROMIUM, CHROMIUM_ARGS
    from playwright.async_api import async_playwright
    students = [Student(i, url, cdir) for i in range(n)]
    rss = {"server": [], "chromium": []}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                           headless=True)

        async def arrive(s):
            await asyncio.sleep(s.idx * ramp)
            await s.run(browser)

        t0 = time.perf_counter()
        tasks = [asyncio.create_task(arrive(s)) for s in students]
        while not all(t.done() for t in tasks):
            rss["server"].append(_tree_rss_kb(server_pid))
            rss["chromium"].append(_tree_rss_kb(os.getpid()))
            await asyncio.sleep(1)
        wall = time.perf_counter() - t0
        await browser.close()
    return {"students": students, "rss": rss, "wall": wall}


def bench_load(n: int, ramp: float = 1.0) -> dict:
    import asyncio
    import subprocess

    from servers import free_port
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        cdir = Path(tmp, "class")
        proc = subprocess.Popen([sys.executable, "-m", "ridgeline", "lab", "--port", str(port),
                                 "--report-port", str(free_port()), "--class-dir", str(cdir)],
                                stdout=subprocess.DEVNULL, cwd=tmp)
        try:
            url = f"http://127.0.0.1:{port}/"
            assert server.wait_ready(url, 120, proc), "the class server did not start"
            time.sleep(2)
            idle = _tree_rss_kb(proc.pid)
            marimo = _marimo_pid(proc.pid)
            cpu0, load0 = _cpu_s(marimo), load_avg()
            out = asyncio.run(_load(n, url, cdir, ramp, proc.pid))
            cpu = _cpu_s(marimo) - cpu0
            checked = check_ledgers(out["students"])
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    students = out["students"]
    lat = {k: [x for s in students for x in s.lat[k]] for k in students[0].lat}
    peak = max(out["rss"]["server"] or [idle])
    return {"students": n, "ramp_s": ramp, "wall_s": round(out["wall"], 1), **checked,
            "errors": [s.error for s in students if s.error][:5],
            "lock_to_saved_p95_s": _p95(lat["lock"]),
            "lock_to_saved_median_s": round(statistics.median(lat["lock"]), 2)
            if lat["lock"] else None, "locks_timed": len(lat["lock"]),
            "probe_p95_s": _p95(lat["probe"]), "design_p95_s": _p95(lat["design"]),
            "reflection_p95_s": _p95(lat["reflection"]),
            "open_p95_s": _p95([s.open_s for s in students if s.open_s is not None]),
            "server_rss_idle_mb": round(idle / 1024), "server_rss_peak_mb": round(peak / 1024),
            "server_mb_per_student": round((peak - idle) / 1024 / n, 1),
            "server_cpu_s_per_student": round(cpu / n, 1),
            "chromium_rss_peak_mb": round(max(out["rss"]["chromium"] or [0]) / 1024),
            "load_start": load0, "load_end": load_avg()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=("report", "load"))
    ap.add_argument("--students", type=int, nargs="+", default=None)
    ap.add_argument("--ramp", type=float, default=1.0, help="seconds between arrivals (load)")
    a = ap.parse_args()
    for n in a.students or ([500] if a.what == "report" else [10, 20, 40]):
        print(json.dumps(bench_report(n) if a.what == "report" else bench_load(n, a.ramp)),
              flush=True)


if __name__ == "__main__":
    main()
