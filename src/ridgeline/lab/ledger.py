"""The lab's ledger: every lock, probe, design and reflection, appended as it happens.

One JSON object per line in a local file (``$RIDGELINE_LEDGER`` or ``~/.ridgeline/ledger.jsonl``)::

    {"v": 1, "id": "…", "time": "2026-11-24T02:31:05.123Z", "kind": "lock", "track": "cloud",
     "payload": {"part": 1, "choice": "…", "number": 42.0}}

How a write stays safe (the choice, and why):

* **Atomic replace, not in-place append.** An append re-reads the file, writes the old lines plus
  the new one to a temporary file in the same directory, flushes, ``fsync``s it, then
  ``os.replace``s it over the ledger and ``fsync``s the directory. A reader, a crash, a ``kill -9``
  or a power cut sees either the old file or the new one, never a torn last line, which an
  ``O_APPEND`` write can leave behind when the machine dies mid-write. The cost, rewriting the
  file each time, is nothing at lab sizes (a student makes tens of entries, not millions).
* **An exclusive ``fcntl`` lock on a sidecar ``<name>.lock``** serializes writers (two browser
  tabs, two kernels, two processes). The lock is on the sidecar because ``os.replace`` swaps the
  ledger's inode, so a lock on the ledger itself would not be shared by the next writer. Each
  writer re-reads under the lock, so nobody overwrites an entry another tab just added.
* **A corrupt file is never overwritten.** If any line does not parse (a hand edit, a disk
  error, a foreign writer), the file is moved aside to ``<name>.corrupt-<timestamp>``, its
  readable entries are carried into a fresh ledger, and :attr:`Ledger.recovered_from` names the
  kept file so the lab can say so.
* **An odd line is kept, never dropped.** A line that parses and has an entry's shape but odd
  values (``"part": [1]``, a list as the track, a number as a reflection's text, a list as the
  design's choices) is *unreadable*: it stays in the file byte for byte, is counted in
  :attr:`Ledger.unreadable` so the lab can say so, and is skipped by :meth:`Ledger.state` and
  the reports. Every line the reader kept is written back as the very bytes it read, so a line
  the reader accepted (``NaN`` included, which Python's ``json`` parses) can never make a later
  write fail.
* **Paths are checked, not repaired.** The path is resolved once (symlinks followed), so every
  writer locks and replaces the same file; a directory, or an existing file in which no line is
  a ledger entry, is refused with one :class:`~ridgeline.errors.RidgelineError` instead of being
  renamed aside.

State restore rules (:meth:`Ledger.state`): the first lock per (track, part) wins — a later
lock, from another tab, say, is refused at append time and the stored one returned; probes keep
their order; the last submitted design and the last reflection per part are current.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

try:  # POSIX; on platforms without fcntl the ledger still writes atomically, one writer at a time
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from ..errors import RidgelineError

VERSION = 1
_NO_LOCKS = {errno.ENOSYS, getattr(errno, "ENOTSUP", errno.ENOSYS), errno.EINVAL}
KINDS = ("lock", "probe", "design", "reflection")
ENV_VAR = "RIDGELINE_LEDGER"
_FIELDS = ("id", "time", "kind", "track", "payload")
#: Called with the ledger after each stored write: the WebAssembly lab syncs browser storage
#: here (:mod:`ridgeline.lab.browser`); empty in a native lab.
AFTER_WRITE: list = []


def default_path() -> Path:
    """``$RIDGELINE_LEDGER`` if set, else ``~/.ridgeline/ledger.jsonl``."""
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() if env else Path.home() / ".ridgeline" / "ledger.jsonl"


def now_iso() -> str:
    """UTC time with milliseconds, e.g. '2026-11-24T02:31:05.123Z' (sortable, unambiguous)."""
    t = datetime.now(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def jsonable(x):
    """``x`` with numpy scalars/arrays as Python numbers and inf/NaN as strings (strict JSON)."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if hasattr(x, "tolist") and not isinstance(x, (str, bytes)):  # numpy scalar or array
        return jsonable(x.tolist())
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if x is None or isinstance(x, (str, int, float, bool)):
        return x
    return str(x)


def _is_entry(obj) -> bool:
    """Has an entry's shape: a JSON object with every field and a known kind."""
    return (isinstance(obj, dict) and all(k in obj for k in _FIELDS)
            and obj["kind"] in KINDS and isinstance(obj["payload"], dict))


def _num(x) -> bool:
    """A number, None or a string: :func:`jsonable` stores inf/NaN as "inf"/"nan", and an
    older version may have stored text; the readers replay or show these, never crash."""
    return x is None or (isinstance(x, (int, float, str)) and not isinstance(x, bool))


#: kind -> payload key -> the test its value must pass (only keys that are present are tested)
_PAYLOAD_RULES = {
    "lock": {"choice": lambda x: x is None or isinstance(x, str), "number": _num},
    "probe": {"value": _num},
    "design": {"choices": lambda x: isinstance(x, dict)
               and all(isinstance(v, str) for v in x.values()),
               "result": lambda x: isinstance(x, dict)
               and isinstance(x.get("reasons", []), list),
               "batch": _num, "scale": _num, "floor": _num},
    "reflection": {"text": lambda x: isinstance(x, str)},
}


def well_typed(obj: dict) -> bool:
    """True if an entry-shaped object's values are the types the lab and reports rely on.

    ``id``/``time`` are strings, ``track`` a non-empty string, ``part`` a whole number, a
    string or absent (it keys dicts, so a list there crashed the page), and each kind's known
    payload fields have their types (:data:`_PAYLOAD_RULES`).
    """
    if not all(isinstance(obj[k], str) for k in ("id", "time", "track")) or not obj["track"]:
        return False
    p = obj["payload"]
    part = p.get("part")
    if isinstance(part, bool) or not (part is None or isinstance(part, (int, str))):
        return False
    return all(rule(p[k]) for k, rule in _PAYLOAD_RULES[obj["kind"]].items() if k in p)


def scan(data: bytes) -> tuple[list[tuple[bytes, dict | None]], int]:
    """The lines kept from a ledger's bytes and how many lines are corrupt.

    Kept: ``(raw line, entry)`` for a well-typed entry, ``(raw line, None)`` for an unreadable
    one (entry-shaped, odd values). Corrupt: not JSON, not entry-shaped, or a torn last line.
    Lines are split on b'\\n' only: JSON escapes newlines inside strings, while Python's
    ``splitlines`` would also split on U+2028 and friends, which may appear unescaped.
    """
    kept, bad = [], 0
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            obj = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            bad += 1
            continue
        if _is_entry(obj):
            kept.append((line, obj if well_typed(obj) else None))
        else:
            bad += 1
    if data and not data.endswith(b"\n"):  # a torn last line, even if it happens to parse
        bad += 1
    return kept, bad


def parse(data: bytes) -> tuple[list[dict], int]:
    """Well-typed entries in a ledger's bytes, and how many non-blank lines are corrupt."""
    kept, bad = scan(data)
    return [e for _, e in kept if e is not None], bad


def encode_entry(entry: dict) -> bytes:
    """One entry's line: compact strict JSON (no NaN), UTF-8, newline excluded."""
    return json.dumps(entry, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode("utf-8")


def encode(entries: list[dict]) -> bytes:
    """The file's bytes: one compact JSON object per line, UTF-8, newline-terminated."""
    return b"".join(encode_entry(e) + b"\n" for e in entries)


class Ledger:
    """An append-only JSON-lines ledger, safe against crashes and concurrent writers.

    ``label`` is how the lab names this ledger to a client (classroom mode: never the server's
    absolute path); by default the path itself.
    """

    def __init__(self, path=None, label: str | None = None):
        raw = Path(path).expanduser() if path is not None else default_path()
        self.path = Path(os.path.realpath(raw))  # symlinks resolved once, for every writer
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.label = label
        self.recovered_from: str | None = None
        self.recovered_entries = 0
        self.unreadable = 0

    @property
    def shown(self) -> str:
        """The ledger's name as shown on the page: the label, else the path."""
        return self.label if self.label is not None else str(self.path)

    def shown_aside(self) -> str | None:
        """Where a damaged file was kept, as shown on the page (only the name under a label)."""
        if self.recovered_from is None:
            return None
        return Path(self.recovered_from).name if self.label is not None else self.recovered_from

    def check(self) -> Ledger:
        """Read once now: raises RidgelineError for a directory or a non-ledger file."""
        self.entries()
        return self

    # -- reading ---------------------------------------------------------------------------
    def entries(self) -> list[dict]:
        """All well-typed entries, re-read from disk (so other tabs' entries appear)."""
        kept, bad = scan(self._read_bytes())
        if bad:
            self._refuse_foreign(kept)  # before the lock: a foreign file gets no sidecar
            with self._locked():  # someone else may have repaired it meanwhile
                kept = self._read_locked()
        self.unreadable = sum(1 for _, e in kept if e is None)
        return [e for _, e in kept if e is not None]

    def state(self, track: str) -> dict:
        """One track's progress: locks (first per part), probes, designs, reflections."""
        return state_of([e for e in self.entries() if e["track"] == track], track)

    def states(self) -> dict[str, dict]:
        """Every track with at least one entry -> its :meth:`state`."""
        entries = self.entries()
        keys = list(dict.fromkeys(e["track"] for e in entries))
        return {k: state_of([e for e in entries if e["track"] == k], k) for k in keys}

    # -- writing ---------------------------------------------------------------------------
    def append(self, kind: str, track: str, payload: dict) -> dict:
        """Store one entry and return it (for a repeated lock: the lock already stored)."""
        if kind not in KINDS:
            raise RidgelineError(f"unknown ledger entry kind {kind!r}; choose one of: "
                                 + ", ".join(KINDS))
        if not isinstance(track, str) or not track:
            raise RidgelineError("a ledger entry needs a track key")
        if not isinstance(payload, dict):
            raise RidgelineError("a ledger entry's payload must be a dict")
        entry = {"v": VERSION, "id": uuid.uuid4().hex, "time": now_iso(), "kind": kind,
                 "track": track, "payload": jsonable(payload)}
        line = encode_entry(entry)  # before the lock: a value that cannot be stored fails here
        seen, bad = scan(self._read_bytes())
        if bad:
            self._refuse_foreign(seen)
        with self._locked():
            kept = self._read_locked()
            if kind == "lock":
                first = first_lock([e for _, e in kept if e is not None], track,
                                   entry["payload"].get("part"))
                if first is not None:
                    return first
            self._write_locked([raw for raw, _ in kept] + [line])
        for hook in AFTER_WRITE:
            hook(self)
        return entry

    # -- internals -------------------------------------------------------------------------
    def _read_bytes(self) -> bytes:
        try:
            return self.path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):  # nothing recorded there yet
            return b""
        except IsADirectoryError:
            raise RidgelineError(f"the ledger path {self.shown} is a directory, not a ledger "
                                 "file; point it at a file name such as ledger.jsonl") from None

    def _refuse_foreign(self, kept: list) -> None:
        """A file with bytes in it but no ledger line is someone else's: refuse, touch nothing."""
        if not kept and self.path.exists() and self.path.stat().st_size:
            raise RidgelineError(f"{self.shown} exists and is not a ridgeline ledger (no line "
                                 "is a ledger entry); it was left untouched: choose another "
                                 "file")

    def _read_locked(self) -> list[tuple[bytes, dict | None]]:
        """Kept lines, moving a corrupt ledger aside first (caller holds the lock)."""
        data = self._read_bytes()
        kept, bad = scan(data)
        if bad:
            self._refuse_foreign(kept)
            aside = self._aside_path()
            os.replace(self.path, aside)
            self._write_locked([raw for raw, _ in kept])
            self.recovered_from = str(aside)
            self.recovered_entries = sum(1 for _, e in kept if e is not None)
        return kept

    def _aside_path(self) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while aside.exists():  # two repairs in one second keep both files
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
            n += 1
        return aside

    def _write_locked(self, lines: list[bytes]) -> None:
        """Temp file in the same directory, flush + fsync, os.replace, fsync the directory.

        ``lines`` are raw lines without their newline: kept lines exactly as read, so nothing
        the reader accepted is ever re-encoded (and so can never fail to encode).
        """
        self._remove_stale_temps()
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(b"".join(ln + b"\n" for ln in lines))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        _fsync_dir(self.path.parent)

    def _remove_stale_temps(self) -> None:
        """Delete temp files a killed writer left behind (safe: only the lock holder writes)."""
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()

    @contextlib.contextmanager
    def _locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except OSError as exc:  # Pyodide's in-browser file system has no flock;
                    if exc.errno not in _NO_LOCKS:  # one page, one writer: nothing to lock
                        raise
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the flock


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)


def first_lock(entries: list[dict], track: str, part) -> dict | None:
    """The earliest lock stored for ``(track, part)``, or None."""
    for e in entries:
        if e["kind"] == "lock" and e["track"] == track and e["payload"].get("part") == part:
            return e
    return None


def state_of(entries: list[dict], track: str) -> dict:
    """Fold one track's entries (in file order) into its current state."""
    st = {"track": track, "locks": {}, "probes": [], "designs": [], "design": None,
          "reflections": {}}
    for e in entries:
        kind, part = e["kind"], e["payload"].get("part")
        if kind == "lock":
            st["locks"].setdefault(part, e)  # first lock per part wins
        elif kind == "probe":
            st["probes"].append(e)
        elif kind == "design":
            st["designs"].append(e)
            st["design"] = e
        elif kind == "reflection":
            st["reflections"][part] = e  # the latest save is the reflection
    return st
