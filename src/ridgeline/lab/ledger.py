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

State restore rules (:meth:`Ledger.state`): the first lock per (track, part) wins — a later
lock, from another tab, say, is refused at append time and the stored one returned; probes keep
their order; the last submitted design and the last reflection per part are current.
"""

from __future__ import annotations

import contextlib
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
KINDS = ("lock", "probe", "design", "reflection")
ENV_VAR = "RIDGELINE_LEDGER"
_FIELDS = ("id", "time", "kind", "track", "payload")


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
    return (isinstance(obj, dict) and all(k in obj for k in _FIELDS)
            and obj["kind"] in KINDS and isinstance(obj["payload"], dict))


def parse(data: bytes) -> tuple[list[dict], int]:
    """Entries in a ledger's bytes, and how many non-blank lines were unreadable.

    Lines are split on b'\\n' only: JSON escapes newlines inside strings, while Python's
    ``splitlines`` would also split on U+2028 and friends, which may appear unescaped.
    """
    good, bad = [], 0
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            obj = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            bad += 1
            continue
        if _is_entry(obj):
            good.append(obj)
        else:
            bad += 1
    if data and not data.endswith(b"\n"):  # a torn last line, even if it happens to parse
        bad += 1
    return good, bad


def encode(entries: list[dict]) -> bytes:
    """The file's bytes: one compact JSON object per line, UTF-8, newline-terminated."""
    return b"".join(json.dumps(e, ensure_ascii=False, allow_nan=False,
                               separators=(",", ":")).encode("utf-8") + b"\n" for e in entries)


class Ledger:
    """An append-only JSON-lines ledger, safe against crashes and concurrent writers."""

    def __init__(self, path=None):
        self.path = Path(path).expanduser() if path is not None else default_path()
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.recovered_from: str | None = None
        self.recovered_entries = 0

    # -- reading ---------------------------------------------------------------------------
    def entries(self) -> list[dict]:
        """All entries, re-read from disk (so other tabs' entries appear)."""
        good, bad = parse(self._read_bytes())
        if not bad:
            return good
        with self._locked():  # someone else may have repaired it meanwhile
            return self._read_locked()

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
        with self._locked():
            entries = self._read_locked()
            if kind == "lock":
                first = first_lock(entries, track, entry["payload"].get("part"))
                if first is not None:
                    return first
            self._write_locked(entries + [entry])
        return entry

    # -- internals -------------------------------------------------------------------------
    def _read_bytes(self) -> bytes:
        try:
            return self.path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):  # nothing recorded there yet
            return b""

    def _read_locked(self) -> list[dict]:
        """Entries, moving a corrupt file aside first (caller holds the lock)."""
        data = self._read_bytes()
        good, bad = parse(data)
        if bad:
            aside = self._aside_path()
            os.replace(self.path, aside)
            self._write_locked(good)
            self.recovered_from, self.recovered_entries = str(aside), len(good)
        return good

    def _aside_path(self) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while aside.exists():  # two repairs in one second keep both files
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
            n += 1
        return aside

    def _write_locked(self, entries: list[dict]) -> None:
        """Temp file in the same directory, flush + fsync, os.replace, fsync the directory."""
        self._remove_stale_temps()
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(encode(entries))
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
                fcntl.flock(fd, fcntl.LOCK_EX)
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
