"""Work the lab will need in a minute, started now in the background, once per process.

The lab runs every student's session as a thread of one process (marimo's run mode), so the
engine's caches are shared: a table computed for one student serves the next. Some tables
cost seconds the first time (Part 2's batch x scale pages on Edge: ~4 s, mostly the crossover
solver's bisections), so the notebook asks for them when a track is chosen and collects them
when the student reaches the part - minutes later, long done. One worker thread: the warm-up
never takes both cores from the sessions (Python's GIL lets one Python thread run at a time
anyway); a job asked for twice runs once; a job collected before the worker reached it runs
in the collecting thread at once. Where no thread can start (the static WebAssembly site:
Pyodide has none) every job runs when it is first collected. Standard library ``threading``
and ``queue`` only (``concurrent.futures`` is not on the browser lab's path).
"""

from __future__ import annotations

import queue
import threading

_JOBS: dict = {}
_LOCK = threading.Lock()
_QUEUE: queue.Queue = queue.Queue()
_WORKER: list = []       # the worker thread, once started (or False where none can start)


class Job:
    """``fn(*args)``, run once: by the worker, or by the first ``result()`` that gets to it."""

    def __init__(self, fn, args):
        self._fn, self._args = fn, args
        self._claim, self._done = threading.Lock(), threading.Event()
        self._value, self._error = None, None

    def run(self) -> None:
        if not self._claim.acquire(blocking=False):
            return  # someone else runs (or ran) it
        try:
            self._value = self._fn(*self._args)
        except Exception as exc:  # noqa: BLE001 - handed to whoever collects it
            self._error = exc
        finally:
            self._done.set()

    def done(self) -> bool:
        return self._done.is_set()

    def result(self, timeout=None):
        """The job's value (waiting only while another thread is running it), or what it
        raised, re-raised here."""
        self.run()
        if not self._done.wait(timeout):
            raise TimeoutError("the background job is still running")
        if self._error is not None:
            raise self._error
        return self._value


def ahead(fn, *args) -> Job:
    """``fn(*args)`` in the background (once per process); ``.result()`` collects it."""
    key = (fn.__module__, fn.__qualname__, args)
    with _LOCK:
        job = _JOBS.get(key)
        if job is None:
            job = _JOBS[key] = Job(fn, args)
            if _worker_running():
                _QUEUE.put(job)
    return job


def _worker_running() -> bool:
    """Start the worker once; False where no thread can start."""
    if not _WORKER:
        try:
            t = threading.Thread(target=_work, name="ridgeline-warm", daemon=True)
            t.start()
            _WORKER.append(t)
        except RuntimeError:  # Pyodide: "can't start new thread"
            _WORKER.append(False)
    return bool(_WORKER[0])


def _work() -> None:
    while True:
        _QUEUE.get().run()
