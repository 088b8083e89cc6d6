"""Classroom benches (issue 9); not CI. State the load average beside every figure you record.

    python bench/bench_class.py report [--students 500]
        synthetic students' exported reports -> `class-report` page; wall time (goal < 10 s)
    python bench/bench_class.py load [--students 10 20 40]
        one `ridgeline lab --class-dir` server; N Chromium contexts (Playwright, Debian's
        /usr/bin/chromium), each a student opening ?student=sN, locking Part 1 and Part 2 of
        Cloud Titan and saving a reflection. Reports: every entry in the right ledger, zero
        cross-talk, p95 time from Lock click to the ledger line on disk, server RSS per student.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
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


def _rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and its children (kB, from /proc)."""
    total = 0
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text().split()
            if int(p.name) == pid or int(stat[3]) == pid:
                total += int((p / "statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            continue
    return total // 1024


def _student(browser, url: str, sid: str, ledger: Path, lat: list, errors: list) -> None:
    from lab_ui import lock, open_lab, part
    from marimo_dom import fill_text, submit_form
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx.set_default_timeout(240_000)
    try:
        page = ctx.new_page()
        open_lab(page, f"{url}?student={sid}")
        for n, number in ((1, 7.0), (2, None)):
            t0 = time.perf_counter()
            lock(page, n, choice_index=n % 2, number=number)
            while not ledger.exists() or ledger.read_bytes().count(b'"kind":"lock"') < n:
                time.sleep(0.05)
            lat.append(time.perf_counter() - t0)
        fill_text(part(page, 1), "Reflection", f"note of {sid}")
        submit_form(page, part(page, 1), "Save reflection")
    except Exception as exc:  # noqa: BLE001 - a bench records failures, it does not stop
        errors.append(f"{sid}: {type(exc).__name__}: {exc}"[:300])
    finally:
        ctx.close()


def bench_load(n: int) -> dict:
    from servers import free_port
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        cdir = Path(tmp, "class")
        import subprocess
        proc = subprocess.Popen([sys.executable, "-m", "ridgeline", "lab", "--port", str(port),
                                 "--class-dir", str(cdir)], stdout=subprocess.PIPE, text=True)
        url = f"http://127.0.0.1:{port}/"
        assert server.wait_ready(url, 120, proc)
        idle = _rss_kb(proc.pid)
        lat, errors, peak = [], [], [idle]
        ids = [f"s{i:02d}" for i in range(n)]
        threads = []
        for sid in ids:  # Playwright's sync API is per thread: one Chromium per student
            th = threading.Thread(target=_one, args=(url, sid, cdir / f"{sid}.jsonl", lat,
                                                     errors))
            th.start()
            threads.append(th)
        while any(t.is_alive() for t in threads):
            peak.append(_rss_kb(proc.pid))
            time.sleep(1)
        cross = [sid for sid in ids if (cdir / f"{sid}.jsonl").exists()
                 and f"note of {sid}".encode() not in (cdir / f"{sid}.jsonl").read_bytes()]
        others = [sid for sid in ids if (cdir / f"{sid}.jsonl").exists() and any(
            f"note of {o}\"".encode() in (cdir / f"{sid}.jsonl").read_bytes()
            for o in ids if o != sid)]
        complete = sum(1 for sid in ids if (cdir / f"{sid}.jsonl").exists() and (
            cdir / f"{sid}.jsonl").read_bytes().count(b"\n") == 3)
        proc.terminate()
        proc.wait(timeout=30)
    p95 = statistics.quantiles(lat, n=20)[-1] if len(lat) >= 2 else None
    return {"students": n, "complete_ledgers": complete, "missing_note": len(cross),
            "cross_talk": len(others), "errors": errors[:5], "lock_to_saved_p95_s": p95,
            "server_rss_idle_mb": idle / 1024, "server_rss_peak_mb": max(peak) / 1024,
            "mb_per_student": (max(peak) - idle) / 1024 / n, "load": load_avg()}


def _one(url, sid, ledger, lat, errors):
    from conftest import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            _student(b, url, sid, ledger, lat, errors)
        finally:
            b.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=("report", "load"))
    ap.add_argument("--students", type=int, nargs="+", default=None)
    a = ap.parse_args()
    for n in a.students or ([500] if a.what == "report" else [10, 20, 40]):
        print(json.dumps(bench_report(n) if a.what == "report" else bench_load(n)), flush=True)


if __name__ == "__main__":
    main()
