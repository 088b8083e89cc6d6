"""``ridgeline lab``: serve the marimo lab as an app (run mode, code hidden) on loopback.

We run marimo's own CLI in a child process, ``python -m marimo run app.py --headless --host H
--port P --no-token``, rather than its ASGI API: the CLI is marimo's stable interface, and the
child gets the ledger path through ``$RIDGELINE_LEDGER`` without touching this process.
``--no-token`` is safe only because the default host is loopback; a host given explicitly
(e.g. ``0.0.0.0`` for a classroom) gets a warning that anyone on the network can open it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from ..errors import RidgelineError
from .ledger import ENV_VAR, default_path

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


def command(host: str, port: int) -> list[str]:
    """The marimo command line that serves the lab."""
    return [sys.executable, "-m", "marimo", "run", str(APP), "--headless", "--host", host,
            "--port", str(port), "--no-token", "--no-sandbox"]


def environment(ledger_path=None) -> dict:
    """This process's environment plus ``$RIDGELINE_LEDGER`` (absolute) for the app."""
    env = dict(os.environ)
    path = Path(ledger_path).expanduser() if ledger_path is not None else default_path()
    env[ENV_VAR] = str(path.resolve())
    return env


def start(host: str = "127.0.0.1", port: int = 2718, ledger_path=None) -> subprocess.Popen:
    """Start the lab server in a child process and return it (not waiting for it)."""
    port = check_port(port)
    if not port_free(host, port):
        raise RidgelineError(f"port {port} on {host} is already in use; pick another with --port")
    return subprocess.Popen(command(host, port), env=environment(ledger_path))


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


def serve(host: str = "127.0.0.1", port: int = 2718, ledger_path=None) -> int:
    """Serve the lab until interrupted; print its URL. Returns the server's exit status."""
    proc = start(host, port, ledger_path)
    address = url(host, port)
    if host not in LOOPBACK:
        print(f"warning: serving on {host}: anyone who can reach this machine can open the lab",
              file=sys.stderr)
    _stop_on_sigterm()
    try:
        wait_ready(address, timeout_s=60, proc=proc)  # print the URL once it answers
        if proc.poll() is not None:
            return proc.returncode
        print(f"ridgeline lab: {address}  (ledger: {environment(ledger_path)[ENV_VAR]})",
              flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
