"""Screenshots of every part of every track at 1366x768, for checking the lab by eye.

Starts the real lab (``ridgeline lab``'s code path) on a free port with a fresh ledger, picks
each track, locks each part with its first choice (Part 1 with the engine's answer), and saves
one viewport-sized screenshot per part heading plus one full page per track.

Run: ``.venv/bin/python bench/lab_screenshots.py [OUTDIR] [--track KEY]``. It prints paths.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from lab_ui import PART_TITLES, lock, open_lab, part, pick_track
from playwright.sync_api import sync_playwright
from servers import LabServer

from ridgeline.lab.tracks import TRACKS

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def shoot_workbench(page, n: int, path: Path) -> Path:
    """The part's workbench at the top of the screen: what a student sees while working."""
    heads = part(page, n).get_by_text("Workbench", exact=False)
    if heads.count():
        heads.first.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)
    page.screenshot(path=str(path))
    return path


def shoot_track(page, key: str, out: Path) -> list[Path]:
    """Lock the three parts of one track and screenshot each part's region."""
    track = TRACKS[key]
    pick_track(page, track.title)
    shots = []
    for n in (1, 2, 3):
        try:
            lock(page, n, choice_index=0, number=1.0 if n == 1 else None)
        except Exception as exc:  # noqa: BLE001 - a lock that fails is itself worth a screenshot
            print(f"{key} part {n}: lock failed ({type(exc).__name__})", file=sys.stderr)
        page.wait_for_timeout(1500)
        part(page, n).first.scroll_into_view_if_needed()
        page.get_by_text(PART_TITLES[n]).first.scroll_into_view_if_needed()
        path = out / f"{key}-part{n}.png"
        page.screenshot(path=str(path))
        shots.append(path)
        shots.append(shoot_workbench(page, n, out / f"{key}-part{n}-workbench.png"))
    full = out / f"{key}-full.png"
    page.screenshot(path=str(full), full_page=True)
    return [*shots, full]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir", nargs="?", default=None)
    ap.add_argument("--track", action="append", choices=sorted(TRACKS))
    args = ap.parse_args(argv)
    out = Path(args.outdir or tempfile.mkdtemp(prefix="ridgeline-shots-"))
    out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="ridgeline-lab-"))
    server = LabServer(workdir).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for key in args.track or ["cloud", "edge", "mobile", "tiny"]:
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                open_lab(page, server.url)
                for path in shoot_track(page, key, out):
                    print(path)
                page.close()
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)  # the fresh ledger and the server log
    return 0


if __name__ == "__main__":
    sys.exit(main())
