"""An ONNX file's graph read without its weights' data: the protobuf wire format, by hand.

``onnx.load`` parses every byte of a file, inline weights included, and shape inference then
copies the model twice more (a 128 MiB file of float weights peaked at ~0.7 GB; one 128 MiB
int64 tensor, expanded by data propagation, at 4 GB). The importer needs only the weights'
shapes, so :func:`read` walks the file's fields and keeps everything except the top-level
graph's initializers that are large or stored in an external file; for those it returns
name, element type and dims instead. The file is read in small windows at the offsets the
walk needs (not memory-mapped: a kernel that caches files in 2 MiB folios maps 2 MiB into the
process for each weight header touched, i.e. the whole file), so skipped payloads are never
read, and the size of what is kept is known (and capped) before anything is copied.

Encoding: https://protobuf.dev/programming-guides/encoding/ (tag = field << 3 | wire type;
varints; length-delimited fields). Field numbers from onnx/onnx.proto: ModelProto.graph = 7;
GraphProto.initializer = 5; TensorProto dims = 1, data_type = 2, name = 8, external_data = 13
(StringStringEntryProto key = 1, value = 2), data_location = 14 (EXTERNAL = 1), and the value
fields 4, 5, 6, 7, 9, 10, 11.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

#: TensorProto fields that hold values (float/int32/string/int64/raw/double/uint64 data).
DATA_FIELDS = {4, 5, 6, 7, 9, 10, 11}


class WireError(Exception):
    """The bytes are not a protobuf message of the expected shape (one line)."""


class TooBig(Exception):
    """What would be kept exceeds the cap: ``size`` bytes."""

    def __init__(self, size: int):
        super().__init__(size)
        self.size = size


@dataclass(frozen=True)
class Weight:
    """An initializer left out of the kept bytes: all the importer needs of it."""

    name: str
    dtype: int
    dims: tuple
    external: dict = field(default_factory=dict)


def read(path: str, max_bytes: int, keep_bytes: int) -> tuple[bytearray, list[Weight]]:
    """(the model's bytes less large or external initializers, those initializers).

    An initializer is kept whole when its values take at most ``keep_bytes`` (shape
    arithmetic reads small constants). Raises WireError for bytes that are not a ModelProto
    with a graph, TooBig when the kept bytes exceed ``max_bytes``.
    """
    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise WireError("the file is empty")
        parts, weights = _model(_Window(f), size, keep_bytes)
        total = sum(_size(p) for p in parts)
        if total > max_bytes:
            raise TooBig(total)
        out = bytearray(total)  # filled in place: the kept bytes are held once
        view, at = memoryview(out), 0
        for p in parts:
            n = _size(p)
            if isinstance(p, tuple):
                _read_into(f, p[0], view[at:at + n])
            else:
                view[at:at + n] = p
            at += n
        view.release()
    return out, weights


class _Window:
    """The file's bytes by index (``w[i]``, ``w[a:b]``) through one cached 64 KiB window."""

    SIZE = 1 << 16

    def __init__(self, f):
        self.f, self.start, self.block = f, 0, b""

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self._at(key.start, key.stop - key.start)
        off = key - self.start
        if not 0 <= off < len(self.block):
            self.start, self.block, off = key, self._at(key, self.SIZE), 0
            if not self.block:
                raise IndexError(key)
        return self.block[off]

    def _at(self, pos: int, n: int) -> bytes:
        self.f.seek(pos)
        return self.f.read(n)


def _read_into(f, pos: int, view) -> None:
    f.seek(pos)
    while len(view):
        got = f.readinto(view)
        if not got:
            raise WireError("truncated: the file ended while it was being read")
        view = view[got:]


def _size(part) -> int:
    return part[1] - part[0] if isinstance(part, tuple) else len(part)


def _model(buf, end, keep):
    """Top-level fields as (start, end) spans; each graph field re-encoded without weights."""
    parts, weights, graphs = [], [], 0
    for num, wire, start, stop, begin in _fields(buf, 0, end):
        if num == 7 and wire == 2:
            graphs += 1
            gparts = _graph(buf, start, stop, keep, weights)
            parts.append(_varint_bytes(7 << 3 | 2) + _varint_bytes(sum(map(_size, gparts))))
            parts.extend(gparts)
        else:
            parts.append((begin, stop))
    if not graphs:
        raise WireError("it has no graph")
    return parts, weights


def _graph(buf, start, end, keep, weights):
    parts = []
    for num, wire, s, e, begin in _fields(buf, start, end):
        if num == 5 and wire == 2:
            weight, data = _tensor(buf, s, e)
            if weight.external or data > keep:
                weights.append(weight)
                continue
        if parts and isinstance(parts[-1], tuple) and parts[-1][1] == begin:
            parts[-1] = (parts[-1][0], e)  # one span for neighbouring fields
        else:
            parts.append((begin, e))
    return parts


def _tensor(buf, start, end) -> tuple[Weight, int]:
    """A TensorProto's header (its values skipped) and how many bytes its values take."""
    dims, dtype, name, external, location, data = [], 0, "", {}, 0, 0
    for num, wire, s, e, _ in _fields(buf, start, end):
        if num == 1:
            dims.extend(_ints(buf, wire, s, e))
        elif num == 2 and wire == 0:
            dtype = _varint(buf, s, e)[0]
        elif num == 8 and wire == 2:
            name = bytes(buf[s:e]).decode("utf-8", "replace")
        elif num == 13 and wire == 2:
            entry = {k: bytes(buf[a:b]).decode("utf-8", "replace")
                     for k, w, a, b, _ in _fields(buf, s, e) if w == 2}
            external[entry.get(1, "")] = entry.get(2, "")
        elif num == 14 and wire == 0:
            location = _varint(buf, s, e)[0]
        elif num in DATA_FIELDS:
            data += e - s
    return Weight(name, dtype, tuple(dims), external if location == 1 else {}), data


def _ints(buf, wire, start, end) -> list[int]:
    """int64 varints, packed (wire type 2) or one (wire type 0), as signed numbers."""
    if wire not in (0, 2):
        raise WireError("a tensor's dims are not integers")
    out, pos = [], start
    while pos < end:
        value, pos = _varint(buf, pos, end)
        out.append(value - (1 << 64) if value >= 1 << 63 else value)
    return out


def _fields(buf, start, end):
    """Yield (field number, wire type, value start, value end, tag start) for each field."""
    pos = start
    while pos < end:
        begin = pos
        key, pos = _varint(buf, pos, end)
        num, wire = key >> 3, key & 7
        if num == 0:
            raise WireError(f"byte {begin} holds field number 0")
        if wire == 0:
            stop = _varint(buf, pos, end)[1]
        elif wire == 2:
            length, pos = _varint(buf, pos, end)
            stop = pos + length
        elif wire in (1, 5):
            stop = pos + (8 if wire == 1 else 4)
        else:
            raise WireError(f"byte {begin} holds wire type {wire}, which ONNX never writes")
        if stop > end:
            raise WireError(f"truncated: the field at byte {begin} runs past its end")
        yield num, wire, pos, stop, begin
        pos = stop


def _varint(buf, pos, end) -> tuple[int, int]:
    """(value, position after it) of the base-128 varint at ``pos``."""
    value = shift = 0
    while shift < 70:
        if pos >= end:
            raise WireError("truncated: a number runs past the end")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
    raise WireError("a number is longer than 10 bytes")


def _varint_bytes(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
