"""export-site (the static WebAssembly lab), the lab's Pyodide-safe imports, and a killed
`ridgeline lab` never leaving its child behind (issue 9)."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from ridgeline.lab import server, site

LAB = Path(server.APP).parent
#: What cannot run in Pyodide (no processes, no sockets, no native extensions beyond numpy):
#: the browser lab's code path must import none of it.
NOT_IN_PYODIDE = {"subprocess", "multiprocessing", "socket", "http", "ctypes", "torch", "onnx",
                  "concurrent", "signal", "fcntl_required"}


def test_the_lab_code_path_imports_nothing_pyodide_lacks():
    code = ("import sys, types, os; os.environ.pop('RIDGELINE_CLASS_DIR', None)\n"
            "from ridgeline.lab.app import app\n"
            "app.run(defs={'track_picker': types.SimpleNamespace(value='Cloud Titan')})\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('ridgeline'))))")
    env = dict(os.environ, RIDGELINE_LEDGER="/tmp/ridgeline-pyodide-check.jsonl")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True, env=env).stdout.split()
    assert "ridgeline.lab.server" not in out and "ridgeline.lab.site" not in out
    for mod in out:
        spec = __import__("importlib").util.find_spec(mod)
        if not spec or not spec.origin or not spec.origin.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(Path(spec.origin).read_text("utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0
                     else [])
            for n in names:
                assert n.split(".")[0] not in NOT_IN_PYODIDE, f"{mod} imports {n}"


def test_the_wasm_notebook_installs_the_wheel_before_any_ridgeline_import():
    src = site.wasm_notebook(server.APP.read_text(), "ridgeline-0.1.0-py3-none-any.whl")
    tree = ast.parse(src)
    cells = [f for f in tree.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
    assert isinstance(cells[0], ast.AsyncFunctionDef) and "micropip" in ast.unparse(cells[0])
    for f in cells[1:]:
        if "from ridgeline" in ast.unparse(f):
            assert "ridgeline_ready" in [a.arg for a in f.args.args], f.name


def test_export_site_writes_the_page_notebook_and_wheel(tmp_path):
    out = site.export(tmp_path / "site")
    root = Path(out["outdir"])
    index = (root / "index.html").read_text(encoding="utf-8")
    assert "ridgeline_ready" in index and "micropip" in index  # the notebook is in the page
    wheel = root / out["wheel"]
    names = zipfile.ZipFile(wheel).namelist()
    assert "ridgeline/lab/app.py" in names and "ridgeline/lab/report.schema.json" in names
    assert "ridgeline/lab/browser.py" in names


def test_a_killed_lab_leaves_no_child_holding_the_port(tmp_path):
    """kill -9 of the parent: PR_SET_PDEATHSIG stops the child (here a sleeping Python)."""
    code = ("import sys, time; from ridgeline.lab.server import spawn\n"
            "p = spawn([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
            "print(p.pid, flush=True); time.sleep(120)")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        if _zombie(child):
            break
        time.sleep(0.1)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the child outlived its killed parent")


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def test_serve_refuses_a_directory_ledger_before_starting(tmp_path):
    from ridgeline.errors import RidgelineError
    with pytest.raises(RidgelineError, match="is a directory"):
        server.start("127.0.0.1", 2719, ledger_path=tmp_path)
    with pytest.raises(RidgelineError, match="is a file"):
        (tmp_path / "f").write_text("x")
        server.start("127.0.0.1", 2719, class_dir=tmp_path / "f")
