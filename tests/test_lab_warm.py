"""lab/warm.py: a job asked for twice runs once, in the background; its result (or what it
raised) is collected later."""

from __future__ import annotations

import threading

import pytest

from ridgeline.errors import RidgelineError
from ridgeline.lab import warm

CALLS: list = []


def _slow_square(x, started, go):
    CALLS.append(x)
    started.set()
    go.wait(10)
    return x * x


def _fails(x):
    raise RidgelineError(f"no {x}")


def test_a_job_runs_once_in_the_background_and_is_collected_later():
    started, go = threading.Event(), threading.Event()
    first = warm.ahead(_slow_square, 7, started, go)
    assert started.wait(10)                      # it runs while the caller goes on
    again = warm.ahead(_slow_square, 7, started, go)
    assert again is first and not first.done()   # asked again: the same job, not a second run
    go.set()
    assert first.result(10) == 49 and CALLS.count(7) == 1


def test_a_failed_job_reraises_where_it_is_collected():
    with pytest.raises(RidgelineError, match="no 3"):
        warm.ahead(_fails, 3).result(10)


def test_the_lab_warms_what_part_2_collects():
    # the notebook's track cell and Part 2's cell call ahead() with the same arguments
    from ridgeline.lab.instant_part2 import part2_pages
    job = warm.ahead(part2_pages, "tiny")
    assert job.result(60) is warm.ahead(part2_pages, "tiny").result(60)
    assert job.result().values == part2_pages("tiny").values


def test_without_threads_a_job_runs_when_collected(monkeypatch):
    # Pyodide (the static WebAssembly site) cannot start a thread: Thread.start raises
    def refuse(self):
        raise RuntimeError("can't start new thread")
    monkeypatch.setattr(warm, "_WORKER", [])
    monkeypatch.setattr(warm.threading.Thread, "start", refuse)
    calls = []
    job = warm.ahead(lambda x: calls.append(x) or x + 1, 41)
    assert warm._WORKER == [False] and calls == [] and not job.done()   # nothing ran yet
    assert job.result() == 42 and job.result() == 42 and calls == [41]
    with pytest.raises(RidgelineError, match="no 5"):
        warm.ahead(_fails, 5).result()


def test_a_job_collected_before_the_worker_reaches_it_runs_at_once():
    started, go = threading.Event(), threading.Event()
    busy = warm.ahead(_slow_square, 8, started, go)   # the worker is busy with this one
    assert started.wait(10)
    queued = warm.ahead(lambda x: x * 3, 5)
    assert queued.result(10) == 15 and not busy.done()  # ran here, not behind the busy job
    go.set()
    assert busy.result(10) == 64
