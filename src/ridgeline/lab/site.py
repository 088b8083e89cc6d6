"""``ridgeline export-site OUTDIR``: the lab as a static WebAssembly site (no Python server).

Steps: (1) build ridgeline's wheel from the source checkout (``pip wheel --no-deps``) into a
``public/`` folder; (2) write a copy of the lab notebook whose first cell, in the browser
(``sys.platform == "emscripten"``), installs that wheel with micropip from
``mo.notebook_location() / "public"`` and mounts browser storage for the ledger
(:mod:`ridgeline.lab.browser`); every cell that imports ridgeline waits for it; (3) run
``marimo export html-wasm --mode run`` on the copy, which copies ``public/`` beside the page.
In the browser, Pyodide, numpy and marimo's runtime come from marimo's and Pyodide's CDN, and
altair from PyPI through micropip: a student's first visit needs the internet.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import RidgelineError
from .server import APP

ROOT = Path(__file__).resolve().parents[3]  # the source checkout: src/ridgeline/lab/site.py
INSTALL_CELL = '''

@app.cell(hide_code=True)
async def _():
    # export-site: in the browser, install the bundled ridgeline wheel, then mount storage
    import sys as _sys
    if _sys.platform == "emscripten":
        import marimo as _mo
        import micropip as _micropip
        await _micropip.install(str(_mo.notebook_location() / "public" / "{wheel}"))
        from ridgeline.lab import browser as _browser
        await _browser.mount()
    ridgeline_ready = True
    return (ridgeline_ready,)
'''
#: marimo's html-wasm export first looks for modules *beside the notebook* to bundle, with
#: ``uv tool run ruff analyze graph`` (uv and a downloaded ruff). Our notebook's folder holds
#: only itself and public/ (ridgeline arrives as the wheel), so that search finds nothing by
#: construction; we skip it so the export runs offline and without uv.
_EXPORT = ("import sys, marimo._cli.export.commands as c; "
           "c.resolve_notebook_local_modules = lambda *a, **k: (); "
           "from marimo._cli.cli import main; sys.argv[0] = 'marimo'; main()")
_HEADER = re.compile(r"^app = marimo\.App\(.*\)\n", re.MULTILINE)


def wasm_notebook(source: str, wheel: str) -> str:
    """The lab's source with the install cell first and every cell that imports ridgeline
    taking ``ridgeline_ready`` (so it runs after the install)."""
    m = _HEADER.search(source)
    if m is None:
        raise RidgelineError("the lab notebook has no 'app = marimo.App(...)' line")
    head, rest = source[:m.end()], source[m.end():]
    chunks = rest.split("@app.cell")
    for i, chunk in enumerate(chunks):
        if "from ridgeline" in chunk and "\ndef _(" in chunk:
            a = chunk.index("\ndef _(") + len("\ndef _(")
            sep = "" if chunk[a] == ")" else ", "
            chunks[i] = chunk[:a] + "ridgeline_ready" + sep + chunk[a:]
    return head + INSTALL_CELL.format(wheel=wheel) + "@app.cell".join(chunks)


def build_wheel(dest: Path) -> Path:
    """ridgeline's wheel from the source checkout, into ``dest``."""
    if not (ROOT / "pyproject.toml").is_file():
        raise RidgelineError("export-site needs ridgeline's source checkout (pyproject.toml "
                             f"not found at {ROOT})")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "-q", "-w", str(dest), str(ROOT)],
                          capture_output=True, text=True, timeout=600, check=False)
    wheels = sorted(dest.glob("ridgeline-*.whl"))
    if proc.returncode or not wheels:
        raise RidgelineError("building ridgeline's wheel failed: "
                             + " ".join((proc.stderr or proc.stdout).split()[-40:]))
    return wheels[-1]


def export(outdir) -> dict:
    """Build the site into ``outdir``; return what was written."""
    out = Path(outdir).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise RidgelineError(f"{outdir} exists and is not a directory")
    with tempfile.TemporaryDirectory(prefix="ridgeline-site-") as tmp:
        work = Path(tmp)
        wheel = build_wheel(work / "public")
        notebook = work / "ridgeline_lab.py"
        notebook.write_text(wasm_notebook(APP.read_text(encoding="utf-8"), wheel.name),
                            encoding="utf-8")
        proc = subprocess.run([sys.executable, "-c", _EXPORT, "export", "html-wasm",
                               str(notebook), "-o", str(out), "--mode", "run", "-f"],
                              capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode:
            raise RidgelineError("marimo's html-wasm export failed: "
                                 + " ".join((proc.stderr or proc.stdout).split()[-40:]))
    files = [p for p in out.rglob("*") if p.is_file()]
    return {"outdir": str(out), "files": len(files), "wheel": f"public/{wheel.name}",
            "index": "index.html"}
