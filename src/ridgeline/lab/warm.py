"""Work the lab will need in a minute, started now in the background, once per process.

The lab runs every student's session as a thread of one process (marimo's run mode), so the
engine's caches are shared: a table computed for one student serves the next. Some tables
cost seconds the first time (Part 2's batch x scale pages on Edge: ~4 s, mostly the crossover
solver's bisections), so the notebook asks for them when a track is chosen and collects them
when the student reaches the part - minutes later, long done. One worker thread: the warm-up
never takes both cores from the sessions (Python's GIL lets one Python thread run at a time
anyway); a job asked for twice runs once. Where no thread can start (the static
WebAssembly site: Pyodide has none) a job runs when it is first collected.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ridgeline-warm")
_JOBS: dict = {}
_LOCK = threading.Lock()


def ahead(fn, *args) -> Future:
    """``fn(*args)`` in the background (once per process): call ``.result()`` to collect it,
    which waits only if it has not finished yet, and re-raises what it raised."""
    key = (fn.__module__, fn.__qualname__, args)
    with _LOCK:
        job = _JOBS.get(key)
        if job is None:
            job = _JOBS[key] = _start(fn, args)
    return job


def _start(fn, args) -> Future:
    try:
        return _WORKER.submit(fn, *args)
    except RuntimeError:  # no thread can start here: run it when it is collected
        return _Later(fn, args)


class _Later(Future):
    """A job run by the first ``result()`` (where threads cannot start)."""

    def __init__(self, fn, args):
        super().__init__()
        self._job = (fn, args)

    def result(self, timeout=None):
        if not self.done():
            fn, args = self._job
            try:
                self.set_result(fn(*args))
            except Exception as exc:  # noqa: BLE001 - handed to the caller, as a Future does
                self.set_exception(exc)
        return super().result(timeout)
