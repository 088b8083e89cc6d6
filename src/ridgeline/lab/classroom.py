"""Classroom mode: one ledger per student under a class directory, chosen by the student's ID.

``ridgeline lab --class-dir DIR`` sets ``$RIDGELINE_CLASS_DIR`` for the lab's server; the lab
then asks for a name or student ID before anything else and keeps that student's entries in
``DIR/<id>.jsonl``. Each student has their own ledger file, so nothing is shared between
students: not locks (first lock wins per student, per track, per part), not reflections, not
reports. The personal link ``?student=<id>`` brings a reload or a new tab back to the same
student. Without ``$RIDGELINE_CLASS_DIR`` the lab is the single-user local lab, one ledger.

IDs are sanitized into file names (:func:`student_id`): letters and digits of any script,
``.``, ``_`` and ``-`` are kept, spaces become ``-``, case is folded, anything else is dropped,
so no ID can name a path outside the class directory. Two spellings that fold together
("Ada L" and "ada-l") are the same student, on purpose: a retyped name finds its ledger.

This is an honour system, not authentication: anyone who types another student's ID opens
that student's ledger, as in any shared classroom notebook. Use it on a trusted network.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from ..errors import RidgelineError
from .ledger import Ledger

CLASS_DIR_ENV = "RIDGELINE_CLASS_DIR"
MAX_ID = 64
SUFFIX = ".jsonl"
QUERY_KEY = "student"


def class_dir() -> Path | None:
    """The class directory from ``$RIDGELINE_CLASS_DIR``, or None (the single-user lab)."""
    env = os.environ.get(CLASS_DIR_ENV, "").strip()
    return Path(env).expanduser() if env else None


def student_id(text) -> str | None:
    """A file-safe student ID from what was typed, or None if nothing usable is left.

    NFKC-normalized, case-folded, whitespace runs -> '-', only alphanumerics and '._-' kept,
    leading/trailing '.' and '-' stripped (no hidden files, no '..'), at most 64 characters.
    """
    if not isinstance(text, str):
        return None
    folded = unicodedata.normalize("NFKC", text).casefold()
    joined = "-".join(folded.split())
    kept = "".join(ch for ch in joined if ch.isalnum() or ch in "._-")
    sid = kept.strip(".-")[:MAX_ID].strip(".-")
    return sid or None


def ledger_path(directory, sid: str) -> Path:
    """``directory/<sid>.jsonl`` for a sanitized ID (refused otherwise)."""
    if student_id(sid) != sid:
        raise RidgelineError(f"not a valid student ID: {sid!r}")
    return Path(directory) / f"{sid}{SUFFIX}"


def ledger_for(sid: str, directory=None) -> Ledger:
    """The student's own ledger, labelled by the ID so the page never shows a server path."""
    directory = class_dir() if directory is None else Path(directory)
    if directory is None:
        raise RidgelineError("no class directory: start the lab with --class-dir DIR")
    return Ledger(ledger_path(directory, sid), label=f"{sid}'s ledger on the class server")


def lab_ledger(sid: str | None) -> Ledger | None:
    """The ledger the lab writes: the default one in single-user mode; in classroom mode the
    student's own, or None while no student is identified (the lab waits for an ID)."""
    if class_dir() is None:
        return Ledger()
    return ledger_for(sid) if sid else None


def current_student(typed, query) -> str | None:
    """The student this page works for: a submitted ID wins, else the ``?student=`` link's."""
    sid = student_id(typed) if typed else None
    if sid is None:
        q = query[0] if isinstance(query, list) and query else query
        sid = student_id(q)
    return sid


def student_ledgers(directory) -> dict[str, Path]:
    """Every student ledger in a class directory: ID -> path, sorted by ID."""
    directory = Path(directory)
    if not directory.is_dir():
        raise RidgelineError(f"class directory {directory} does not exist or is not a directory")
    found = {p.name[: -len(SUFFIX)]: p for p in directory.glob(f"*{SUFFIX}")
             if p.is_file() and student_id(p.name[: -len(SUFFIX)]) == p.name[: -len(SUFFIX)]}
    return dict(sorted(found.items()))


def identity_markdown(sid: str | None) -> str:
    """What the page says under the ID field: who is working, and the personal link."""
    if sid is None:
        return ("*Type your name or student ID and press **Start**: your work is saved under "
                "it, and only you see it.*")
    return (f"Working as **{sid}**. Your personal link ends in `?{QUERY_KEY}={sid}`: bookmark "
            "it; a reload or a new tab with it comes back to your work.")


def shown_error(exc: BaseException, ledger: Ledger) -> str:
    """``exc`` as the page may show it: for a labelled ledger (classroom mode) an OSError
    loses its file name (``[Errno 13] Permission denied: '/srv/class/ada.jsonl'`` ->
    ``Permission denied``), so no server path reaches a client; otherwise ``str(exc)``."""
    if ledger.label is not None and isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return str(exc)
