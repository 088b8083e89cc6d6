"""``ridgeline lab``: serve the marimo lab as an app (run mode, code hidden) on loopback.

We run marimo's own CLI in a child process, ``python -m marimo run app.py --headless --host H
--port P --no-token``, rather than its ASGI API: the CLI is marimo's stable interface, and the
child gets the ledger path through ``$RIDGELINE_LEDGER`` without touching this process.
``--no-token`` is safe only because the default host is loopback; a host given explicitly
(e.g. ``0.0.0.0`` for a classroom) gets a warning that anyone on the network can open it.

Classroom mode (``class_dir``): the child gets ``$RIDGELINE_CLASS_DIR`` and each student their
own ledger (:mod:`ridgeline.lab.classroom`); this process also serves the instructor's class
report (:mod:`ridgeline.lab.classreport`) on ``report_port`` at a URL carrying a random token
printed at start, rebuilt from the class directory on every request.

No server path reaches a client in classroom mode: marimo's run mode writes the notebook's
absolute path into every page it serves (``__MARIMO_MOUNT_CONFIG__``'s ``filename``, ``cwd``
and ``lspWorkspace``, and a hidden ``<marimo-filename>``), which would show where ridgeline is
installed (a home directory, a user name). So a class server runs a copy of ``app.py`` from a
fresh temporary directory (:func:`neutral_copy`), with that directory as the child's working
directory; the page then names only ``<tmp>/ridgeline-class-XXXXXXXX/app.py``. The class
directory is passed in the environment and never written into a page (the lab names ledgers
by student ID).

The marimo child never outlives us: on Linux it is started with ``PR_SET_PDEATHSIG`` = SIGTERM
(prctl(2)), so even a ``kill -9`` of ``ridgeline lab`` stops it and frees the port; SIGINT and
SIGTERM are handled here by terminating it.
"""

from __future__ import annotations

import ctypes
import hmac
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ..errors import RidgelineError
from .classroom import CLASS_DIR_ENV
from .ledger import ENV_VAR, Ledger, default_path

APP = Path(__file__).with_name("app.py")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_port(port) -> int:
    """``port`` as an int in 1..65535, or a RidgelineError."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise RidgelineError(f"port must be a whole number from 1 to 65535, got {port!r}")
    return port


def port_free(host: str, port: int) -> bool:
    """True if nothing listens on ``host:port`` (we try to bind it, then let go)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def command(host: str, port: int, app: Path = APP) -> list[str]:
    """The marimo command line that serves the lab (``app``: the notebook file to run)."""
    return [sys.executable, "-m", "marimo", "run", str(app), "--headless", "--host", host,
            "--port", str(port), "--no-token", "--no-sandbox"]


NEUTRAL_PREFIX = "ridgeline-class-"


def neutral_copy() -> Path:
    """A copy of the lab notebook in a fresh temporary directory (classroom mode), so the
    path marimo writes into each page says nothing about this machine. The caller removes
    the directory (:func:`remove_neutral`)."""
    workdir = Path(tempfile.mkdtemp(prefix=NEUTRAL_PREFIX))
    shutil.copyfile(APP, workdir / APP.name)
    return workdir / APP.name


def environment(ledger_path=None, class_dir=None) -> dict:
    """This process's environment plus ``$RIDGELINE_LEDGER`` (absolute) for the app, and in
    classroom mode ``$RIDGELINE_CLASS_DIR`` (absolute; unset otherwise)."""
    env = dict(os.environ)
    path = Path(ledger_path).expanduser() if ledger_path is not None else default_path()
    env[ENV_VAR] = str(path.resolve())
    env.pop(CLASS_DIR_ENV, None)
    if class_dir is not None:
        env[CLASS_DIR_ENV] = str(Path(class_dir).expanduser().resolve())
    return env


try:  # loaded here, not in the child: between fork and exec only the prctl call itself runs
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
    _PRCTL = None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    """Linux: SIGTERM this child when its parent dies, even by ``kill -9`` (prctl(2))."""
    _PRCTL(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def spawn(cmd: list[str], env: dict | None = None, cwd=None) -> subprocess.Popen:
    """Start ``cmd`` as a child that dies with this process (Linux; elsewhere a plain child)."""
    # preexec_fn is safe here: the child is spawned before this process starts any thread
    pre = _die_with_parent if _PRCTL is not None else None
    return subprocess.Popen(cmd, env=env, cwd=cwd, preexec_fn=pre)  # noqa: PLW1509


def remove_neutral(proc: subprocess.Popen) -> None:
    """Remove the neutral copy's directory of a classroom server (nothing for a local lab)."""
    app = getattr(proc, "neutral_app", None)
    if app is not None and app.parent.name.startswith(NEUTRAL_PREFIX):
        shutil.rmtree(app.parent, ignore_errors=True)


def check_class_dir(class_dir) -> Path:
    """The class directory, created if missing; a RidgelineError if it is a file."""
    d = Path(class_dir).expanduser()
    if d.exists() and not d.is_dir():
        raise RidgelineError(f"--class-dir {class_dir} is a file, not a directory")
    d.mkdir(parents=True, exist_ok=True)
    return d


def start(host: str = "127.0.0.1", port: int = 2718, ledger_path=None,
          class_dir=None) -> subprocess.Popen:
    """Start the lab server in a child process and return it (not waiting for it).

    Classroom mode runs a neutral copy of the notebook (``proc.neutral_app``; see the module
    docstring); :func:`remove_neutral` deletes it once the child has exited.
    """
    port = check_port(port)
    if class_dir is None:  # a directory or someone else's file is refused here, untouched
        Ledger(ledger_path if ledger_path is not None else default_path()).check()
    else:
        check_class_dir(class_dir)
    if not port_free(host, port):
        raise RidgelineError(f"port {port} on {host} is already in use; pick another with --port")
    env = environment(ledger_path, class_dir)
    if class_dir is None:
        return spawn(command(host, port), env)
    app = neutral_copy()
    try:
        proc = spawn(command(host, port, app), env, cwd=app.parent)
    except BaseException:
        shutil.rmtree(app.parent, ignore_errors=True)
        raise
    proc.neutral_app = app
    return proc


def wait_ready(address: str, timeout_s: float = 30.0, proc: subprocess.Popen | None = None) -> bool:
    """Poll ``address`` until it answers HTTP (True) or the time or the child runs out."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with opener.open(address, timeout=2):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _stop_on_sigterm() -> None:
    """Treat SIGTERM like Ctrl-C so a terminated ``ridgeline lab`` never orphans its server."""
    def _raise(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise)


def serve(host: str = "127.0.0.1", port: int = 2718, ledger_path=None, class_dir=None,
          report_port: int | None = None) -> int:
    """Serve the lab until interrupted; print its URL. Returns the server's exit status.

    With ``class_dir``: classroom mode, and the instructor's report on ``report_port``
    (default ``port + 1``) at ``/?token=...``, both printed once the lab answers.
    """
    report = None
    if class_dir is not None:
        report = report_server(host, report_port or check_port(port) + 1, class_dir)
    proc = start(host, port, ledger_path, class_dir)
    if report is not None:  # its thread starts only now, after the fork (see spawn)
        threading.Thread(target=report.serve_forever, daemon=True, name="class-report").start()
    address = url(host, port)
    if host not in LOOPBACK:
        print(f"warning: serving on {host}: anyone who can reach this machine can open the lab",
              file=sys.stderr)
    _stop_on_sigterm()
    try:
        wait_ready(address, timeout_s=60, proc=proc)  # print the URL once it answers
        if proc.poll() is not None:
            return proc.returncode
        _announce(address, ledger_path, class_dir, report)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
    finally:
        if report is not None:
            report.shutdown()
            report.server_close()
        if proc.poll() is not None:
            remove_neutral(proc)


def _announce(address: str, ledger_path, class_dir, report) -> None:
    if class_dir is None:
        print(f"ridgeline lab: {address}  (ledger: {environment(ledger_path)[ENV_VAR]})",
              flush=True)
        return
    host, rport = report.server_address[:2]
    print(f"ridgeline lab (classroom): {address}  (ledgers: "
          f"{Path(class_dir).expanduser().resolve()}/<student>.jsonl)\n"
          f"  students open: {address}/?student=<their name or ID>\n"
          f"  class report (instructor only): {url(host, rport)}/?token={report.token}",
          flush=True)


# ---------------------------------------------------------------- the instructor's report

class _ReportHandler(BaseHTTPRequestHandler):
    """GET /?token=T -> the class report page, rebuilt from the class directory; else 403."""

    def do_GET(self):  # http.server's name
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        token = (query.get("token") or [""])[0]
        if not hmac.compare_digest(token.encode(), self.server.token.encode()):
            return self._send(403, b"forbidden: the class report needs the token printed "
                              b"by 'ridgeline lab'\n", "text/plain; charset=utf-8")
        names = (query.get("names") or ["0"])[0] == "1"
        page = class_report_html([self.server.class_dir], names=names, short_paths=True)
        return self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet: the lab's own log is marimo's
        pass


def report_server(host: str, port: int, class_dir) -> ThreadingHTTPServer:
    """The class report's HTTP server, bound but not yet serving (the caller starts
    ``serve_forever`` in a thread); ``.token`` is the secret in its URL."""
    port = check_port(port)
    directory = check_class_dir(class_dir)
    try:
        srv = ThreadingHTTPServer((host, port), _ReportHandler)
    except OSError:
        raise RidgelineError(f"port {port} on {host} (the class report) is already in use; "
                             "pick another with --report-port") from None
    srv.daemon_threads = True
    srv.token, srv.class_dir = secrets.token_urlsafe(16), directory
    return srv


def class_report_html(inputs, names: bool = False, short_paths: bool = False) -> str:
    """The class report page for ``inputs`` (see :mod:`ridgeline.lab.classreport`)."""
    from .classhtml import render
    from .classreport import load, summarize
    loaded = load(inputs)
    if short_paths:  # served over the network: file names only, never server paths
        loaded.skipped = {Path(k).name: v for k, v in loaded.skipped.items()}
    return render(summarize(loaded, names=names))


def write_class_report(inputs, out, names: bool = False) -> dict:
    """``ridgeline class-report``: write the page; say what was read and what was skipped."""
    from .classhtml import render
    from .classreport import load, summarize
    missing = [str(p) for p in inputs if not Path(p).exists()]
    if missing:
        raise RidgelineError(f"no such file or directory: {missing[0]}")
    summary = summarize(load(inputs), names=names)
    target = Path(out).expanduser()
    target.write_text(render(summary), encoding="utf-8")
    return {"out": str(target), "students": summary["students"], "skipped": summary["skipped"]}


def export_site(outdir) -> dict:
    """``ridgeline export-site``: the lab as a static WebAssembly site (:mod:`.site`)."""
    from .site import export
    return export(outdir)
