"""Lab servers for the browser tests and the bench: a marimo app on a free loopback port.

Servers run in their own process group with a fresh ledger (``$RIDGELINE_LEDGER``), are polled
on marimo's ``/health`` until ready, and are stopped with SIGINT to their group (``serve()``
turns it into terminating its marimo child), then SIGTERM/SIGKILL if they linger.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).with_name("fixtures")
LAB_APP = ROOT / "src" / "ridgeline" / "lab" / "app.py"
START_TIMEOUT_S = 120  # marimo's first start on a busy 2-core machine can take tens of seconds


def lab_missing() -> str | None:
    """Why the real lab cannot be served yet, or None."""
    if not LAB_APP.exists():
        return f"the lab app {LAB_APP.relative_to(ROOT)} does not exist yet"
    try:
        from ridgeline.lab import server  # noqa: F401
    except ImportError as exc:
        return f"ridgeline.lab.server is not importable yet ({exc})"
    return None


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it; a race is possible but rare)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """A marimo app served in a child process group on 127.0.0.1 with its own ledger file.

    ``app=None`` serves the real lab through ``ridgeline.lab.server.serve`` (the code path of
    ``ridgeline lab``); a path serves that notebook with ``marimo run`` directly.
    """

    def __init__(self, workdir: Path, app: Path | None = None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ledger = self.workdir / "ledger.jsonl"
        self.log_path = self.workdir / "server.log"
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        if self.app is None:
            code = ("import sys; from ridgeline.lab.server import serve; "
                    f"sys.exit(serve('127.0.0.1', {self.port}, {str(self.ledger)!r}))")
            return [sys.executable, "-c", code]
        return [sys.executable, "-m", "marimo", "run", str(self.app), "--headless",
                "--host", "127.0.0.1", "--port", str(self.port), "--no-token", "--no-sandbox",
                "--no-check"]

    def start(self) -> LabServer:
        env = dict(os.environ, RIDGELINE_LEDGER=str(self.ledger), PYTHONUNBUFFERED="1")
        self._log = open(self.log_path, "w")  # noqa: SIM115 - open for the server's lifetime
        self.proc = subprocess.Popen(self.command(), cwd=self.workdir, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_ready()
        return self

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"lab server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"lab server not ready after {START_TIMEOUT_S} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        for sig, wait_s in ((signal.SIGINT, 15), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)  # the group we created: serve() and its marimo
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait_s)
                break
            except subprocess.TimeoutExpired:
                continue
        self.proc = None
        self._log.close()


def ledger_entries(path: Path) -> list[dict]:
    """The ledger's entries (one JSON object per line); [] if it does not exist yet."""
    if not Path(path).exists():
        return []
    return [json.loads(ln) for ln in Path(path).read_text().splitlines() if ln.strip()]
