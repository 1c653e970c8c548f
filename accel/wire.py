"""Plain data between the grader and a learner's kernel: the only thing that crosses.

In the two-process grader (:mod:`accel_instructor.bridge`) the test cells run in the grader's
own Python process and call the learner's kernels, which run in the learner's sandboxed kernel
(:mod:`accel.callee`). Values cross as JSON plus raw byte buffers, never pickled, never
evaluated: ``None``, ``bool``, ``int``, ``float``, ``str``, lists, tuples, dicts (keyed by
``None``, bools, ints, floats, strings or tuples of them), NumPy scalars, ``ndarray`` (dtype by name, shape, raw bytes) and :class:`~accel.Tensor`
(as its array). Every decoded value is checked against its own header (dtype allowed, shape
and byte count agree, depth and size bounded); anything else is a :class:`WireError`.

One message is ``[4-byte length][JSON header, with the buffers' sizes][the buffers]``; each
buffer starts at a multiple of :data:`ALIGN` bytes after the header (zero bytes between them).
Inside a timing a big buffer goes through a *region* instead: a memfd both sides have mapped,
which the grader creates (sealed against shrinking, so neither side can pull pages from under
the other) and sends with the first message that uses it. The sender copies the buffer there
and names its offset (``placed`` in the header); the receiver reads it there. Copying 16 MB
into memory both sides have mapped costs a fraction of a millisecond; through the socket it
costs several, most of it page faults. Only a receiver that asks for one (``accept_fds``: the
learner's side) takes a file descriptor; the grader refuses any that come with a message, and
copies what the learner placed into memory of its own before it reads it.
"""
from __future__ import annotations

import array
import json
import math
import mmap
import os
import socket
import struct

import numpy as np

from .tensor import Tensor

MAX_HEADER_BYTES = 16 << 20
MAX_MESSAGE_BYTES = 2 << 30  # all buffers of one message together
MAX_DEPTH = 32
MAX_ITEMS = 1 << 20
DTYPE_KINDS = "biufc"  # bool, signed, unsigned, float, complex: nothing with objects or pointers
ALIGN = 64  # a decoded array is a view of its message's buffer: aligned for every dtype (and SIMD)
REGION_MIN_BYTES = 1 << 20  # buffers from this size on go through a region, when there is one
MAX_REGION_BYTES = 1 << 30


def _padded(size: int) -> int:
    return -(-size // ALIGN) * ALIGN


class WireError(ValueError):
    """A message that is not the plain data this protocol carries."""


class LearnerArray(np.ndarray):
    """An array the learner's side sent as an ndarray *subclass* (its class name in
    ``learner_type``): the grader keeps it apart from a plain ndarray, as an exact type check
    would in one process."""
    learner_type = "ndarray subclass"


class LearnerTensor(Tensor):
    """A Tensor the learner's side sent as an instance of a Tensor *subclass*: its data crosses
    (plain, with its true dtype), its class does not, and exact type checks refuse it."""
    __slots__ = ()


def encode(value, tags: dict | None = None) -> tuple[dict, list]:
    """``value`` as (JSON-able header, buffers). ``tags`` maps an ndarray subclass to a name the
    other side rebuilds it from (the grader's LoopOnlyArray, say)."""
    buffers: list = []
    return _encode(value, buffers, tags or {}, 0), buffers


def _encode(value, buffers, tags, depth):
    if depth > MAX_DEPTH:
        raise WireError(f"nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, (bool, str)):
        return {"t": "py", "v": value}
    if type(value) is int:
        return {"t": "int", "v": str(value)}
    if type(value) is float:
        return {"t": "float", "v": repr(value)}
    if isinstance(value, Tensor):
        head = {"t": "tensor", "a": _encode(value.data, buffers, tags, depth + 1)}
        if type(value) is not Tensor:  # kept apart, as an exact type check would in one process
            head["sub"] = type(value).__name__[:100]
        return head
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in DTYPE_KINDS or value.dtype.fields is not None:
            raise WireError(f"an array of dtype {value.dtype} cannot cross (numbers and bools only)")
        plain = value.view(np.ndarray)
        if not plain.flags.c_contiguous:  # (not np.ascontiguousarray: it makes a 0-d array 1-d)
            plain = plain.copy(order="C")
        buffers.append(memoryview(plain.reshape(-1)).cast("B") if plain.size else b"")
        head = {"t": "array", "dtype": plain.dtype.str, "shape": list(plain.shape), "buf": len(buffers) - 1}
        if type(value) is not np.ndarray:
            head["sub"] = tags.get(type(value), type(value).__name__)[:100]
        return head
    if isinstance(value, np.generic):
        if value.dtype.kind not in DTYPE_KINDS:
            raise WireError(f"a NumPy scalar of dtype {value.dtype} cannot cross")
        return {"t": "scalar", "dtype": value.dtype.str, "a": _encode(np.asarray(value), buffers, tags, depth + 1)}
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_ITEMS:
            raise WireError(f"a sequence of more than {MAX_ITEMS} items")
        return {"t": "list" if isinstance(value, list) else "tuple",
                "v": [_encode(item, buffers, tags, depth + 1) for item in value]}
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            raise WireError(f"a dict of more than {MAX_ITEMS} items")
        if all(type(k) is str for k in value):
            return {"t": "dict", "v": {k: _encode(v, buffers, tags, depth + 1) for k, v in value.items()}}
        if not all(_plain_key(k) for k in value):
            raise WireError("a dict with a key that is not a number, a string or a tuple of them")
        return {"t": "map", "v": [[_encode(k, buffers, tags, depth + 1), _encode(v, buffers, tags, depth + 1)]
                                  for k, v in value.items()]}  # keys of other types ({1: 0.5, ...}): in order
    if isinstance(value, (int, float)):  # a subclass (bool is handled above): its plain value
        return _encode(int(value) if isinstance(value, int) else float(value), buffers, tags, depth)
    raise WireError(f"a {type(value).__name__} is not plain data")


def _plain_key(key) -> bool:
    if key is None or type(key) in (bool, int, float, str):
        return True
    return type(key) is tuple and len(key) <= 32 and all(_plain_key(k) for k in key)


def decode(head, buffers: list, classes: dict | None = None):
    """The value of a header and its buffers, checked. ``classes`` maps a subclass name to the
    class to view an array as (the learner side rebuilds the grader's tagged arrays); any other
    subclass name gives a :class:`LearnerArray`."""
    return _decode(head, buffers, classes or {}, 0)


def _decode(head, buffers, classes, depth):
    if depth > MAX_DEPTH or not isinstance(head, dict):
        raise WireError("malformed value")
    kind = head.get("t")
    if kind == "py":
        value = head.get("v")
        if value is not None and type(value) not in (bool, str):
            raise WireError("malformed plain value")
        return value
    if kind == "int":
        text = head.get("v")
        if type(text) is not str or len(text) > 400 or not text.lstrip("-").isdigit():
            raise WireError("malformed int")
        return int(text)
    if kind == "float":
        text = head.get("v")
        if type(text) is not str or len(text) > 40:
            raise WireError("malformed float")
        try:
            return float(text)
        except ValueError:
            raise WireError("malformed float") from None
    if kind == "tensor":
        data = _decode(head.get("a"), buffers, classes, depth + 1)
        if not isinstance(data, np.ndarray):
            raise WireError("a tensor without an array")
        return Tensor(data) if head.get("sub") is None else LearnerTensor(data)
    if kind == "array":
        return _array(head, buffers, classes)
    if kind == "scalar":
        array = _decode(head.get("a"), buffers, classes, depth + 1)
        if not isinstance(array, np.ndarray) or array.shape != ():
            raise WireError("malformed NumPy scalar")
        return array.view(np.ndarray)[()]
    if kind in ("list", "tuple"):
        items = head.get("v")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise WireError("malformed sequence")
        values = [_decode(item, buffers, classes, depth + 1) for item in items]
        return values if kind == "list" else tuple(values)
    if kind == "dict":
        items = head.get("v")
        if not isinstance(items, dict):
            raise WireError("malformed dict")
        return {str(k): _decode(v, buffers, classes, depth + 1) for k, v in items.items()}
    if kind == "map":
        items = head.get("v")
        if not isinstance(items, list) or len(items) > MAX_ITEMS or not all(
                isinstance(item, list) and len(item) == 2 for item in items):
            raise WireError("malformed dict")
        out = {}
        for key, value in items:
            key = _decode(key, buffers, classes, depth + 1)
            if not _plain_key(key):
                raise WireError("a dict key that is not a number, a string or a tuple of them")
            out[key] = _decode(value, buffers, classes, depth + 1)
        return out
    raise WireError(f"unknown value kind {str(kind)[:20]!r}")


def _array(head, buffers, classes):
    try:
        dtype = np.dtype(head["dtype"])
        shape = tuple(head["shape"])
        buffer = buffers[head["buf"]]
    except (KeyError, TypeError, IndexError, ValueError):
        raise WireError("malformed array header") from None
    if dtype.kind not in DTYPE_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"an array of dtype {dtype} cannot cross")
    if not all(type(n) is int and n >= 0 for n in shape) or len(shape) > 32:
        raise WireError("malformed array shape")
    if math.prod(shape) * dtype.itemsize != len(buffer):
        raise WireError(f"array of shape {shape} and dtype {dtype} does not match its {len(buffer)} bytes")
    # a view of the received message's own memory (private to this side, writable, aligned:
    # see ALIGN): copying it again cost as much as crossing the socket once more
    if not len(buffer):
        return _as(np.empty(shape, dtype), head.get("sub"), classes)
    array = np.frombuffer(buffer, dtype=dtype).reshape(shape)
    if not array.flags.writeable or not array.flags.aligned:  # not from receive(): a copy of its own
        array = array.copy()
    return _as(array, head.get("sub"), classes)


def _as(array, sub, classes):
    if sub is None:
        return array
    if sub in classes:
        return array.view(classes[sub])
    return array.view(LearnerArray)


# -- framing ---------------------------------------------------------------------------------

class Region:
    """A shared memory area of one connection: a memfd sealed against shrinking and growing,
    mapped read-write by both sides. Its bytes are plain data like any other: the learner's side
    can write them at any time, so the grader copies out what it reads before checking it."""

    def __init__(self, fd: int, size: int):
        self.size = size
        self.map = mmap.mmap(fd, size, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE)
        self.bytes = np.frombuffer(self.map, dtype=np.uint8)

    @classmethod
    def create(cls, size: int) -> tuple["Region", int]:
        """A new region of ``size`` bytes, its pages touched here (they count to the grader's
        memory, and no timed call pays their first faults), and its file descriptor to send."""
        import fcntl
        fd = os.memfd_create("accel-region", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            os.ftruncate(fd, size)
            fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
            region = cls(fd, size)
        except BaseException:
            os.close(fd)
            raise
        region.bytes[::mmap.PAGESIZE] = 0
        return region, fd


def send(sock: socket.socket, header: dict, buffers: list = (), region: Region | None = None,
         start: int = 0, fds: list = ()) -> None:
    """One message: the header (with the buffers' sizes) and the buffers, in as few system calls
    as the socket takes (each wake-up of the other side costs a context switch). With a
    ``region``, buffers of :data:`REGION_MIN_BYTES` or more are copied into it from offset
    ``start`` on, as far as they fit; ``fds`` go with the message's first bytes."""
    views = [memoryview(b).cast("B") for b in buffers]
    placed, at = [], _padded(start)
    if region is not None:
        for i, view in enumerate(views):
            if view.nbytes >= REGION_MIN_BYTES and at + view.nbytes <= region.size:
                region.bytes[at:at + view.nbytes] = np.frombuffer(view, dtype=np.uint8)
                placed.append([i, at])
                at = _padded(at + view.nbytes)
    extra = {"placed": placed} if placed else {}
    body = json.dumps(dict(header, sizes=[v.nbytes for v in views], **extra), separators=(",", ":")).encode()
    parts = [memoryview(struct.pack("<I", len(body)) + body)]
    skip = {i for i, _ in placed}
    for i, view in enumerate(views):
        if view.nbytes and i not in skip:
            parts.append(view)
            if _padded(view.nbytes) > view.nbytes:
                parts.append(memoryview(bytes(_padded(view.nbytes) - view.nbytes)))
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    while parts:
        sent = sock.sendmsg(parts[:512], ancillary)
        ancillary = []
        while sent:
            if sent >= parts[0].nbytes:
                sent -= parts[0].nbytes
                parts.pop(0)
            else:
                parts[0], sent = parts[0][sent:], 0


class Endpoint:
    """What one side keeps of a connection between messages: the region, once there is one."""

    def __init__(self):
        self.region: Region | None = None


def receive(sock: socket.socket, endpoint: Endpoint | None = None,
            accept_fds: bool = False) -> tuple[dict, list]:
    """One message: its header (a dict) and its buffers, checked against the sizes it states.

    A file descriptor that comes with it is refused (closed, :class:`WireError`) unless
    ``accept_fds``; then it is the connection's new region (``region`` in the header: its size),
    kept in ``endpoint``. Buffers ``placed`` in the region are read there: as views of it
    where ``accept_fds`` (the learner's side, which trusts its sender), else copied out first."""
    prefix, fds = _prefix(sock)
    try:
        if fds and not accept_fds:
            raise WireError("a file descriptor came with a message that carries plain data only")
        (size,) = struct.unpack("<I", prefix)
        if size > MAX_HEADER_BYTES:
            raise WireError(f"a header of {size} bytes (at most {MAX_HEADER_BYTES})")
        try:
            header = json.loads(_exactly(sock, size))
        except (ValueError, UnicodeDecodeError):
            raise WireError("a header that is not JSON") from None
        if not isinstance(header, dict):
            raise WireError("a header that is not an object")
        if fds:
            region_size = header.pop("region", None)
            if len(fds) != 1 or type(region_size) is not int or not 0 < region_size <= MAX_REGION_BYTES:
                raise WireError("a file descriptor without the size of the region it is")
            try:
                endpoint.region = Region(fds[0], region_size)
            except (OSError, ValueError, AttributeError) as err:
                raise WireError(f"a region that cannot be mapped ({err})") from None
    finally:
        for fd in fds:
            os.close(fd)
    sizes, placed = header.pop("sizes", []), header.pop("placed", [])
    if (not isinstance(sizes, list) or len(sizes) > MAX_ITEMS
            or not all(type(n) is int and n >= 0 for n in sizes)):
        raise WireError("malformed buffer sizes")
    if sum(sizes) > MAX_MESSAGE_BYTES:
        raise WireError(f"a message over {MAX_MESSAGE_BYTES >> 30} GiB")
    region = endpoint.region if endpoint is not None else None
    where = _placed(placed, sizes, region)
    payload = memoryview(_exactly(sock, sum(_padded(n) for i, n in enumerate(sizes) if i not in where),
                                  aligned=True))
    buffers, at = [], 0
    for i, n in enumerate(sizes):
        if i in where:
            view = region.bytes[where[i]:where[i] + n]
            if not accept_fds:  # the learner's side can write there at any time: a copy of our own
                view = _aligned_copy(view)
            buffers.append(memoryview(view))
            continue
        buffers.append(payload[at:at + n])
        at += _padded(n)
    return header, buffers


def _placed(placed, sizes: list, region: Region | None) -> dict:
    """The header's ``placed`` list as {buffer index: offset}, every one inside the region."""
    if not placed:
        return {}
    if region is None or not isinstance(placed, list) or len(placed) > len(sizes):
        raise WireError("buffers placed in a region there is none of")
    where = {}
    for item in placed:
        if not (isinstance(item, list) and len(item) == 2 and all(type(n) is int for n in item)):
            raise WireError("malformed placed buffer")
        i, at = item
        if not (0 <= i < len(sizes)) or i in where or at < 0 or at + sizes[i] > region.size:
            raise WireError("a placed buffer outside its region")
        where[i] = at
    return where


def _aligned_copy(view) -> np.ndarray:
    out = _aligned_empty(len(view))
    np.copyto(out, view)
    return out


def _aligned_empty(size: int) -> np.ndarray:
    """An uninitialised byte buffer that starts at a multiple of :data:`ALIGN`."""
    raw = np.empty(size + ALIGN, dtype=np.uint8)
    skip = -raw.ctypes.data % ALIGN
    return raw[skip:skip + size]


def _prefix(sock: socket.socket) -> tuple[bytes, list]:
    """A message's 4-byte length, and the file descriptors sent with it."""
    data, fds = b"", []
    while len(data) < 4:
        chunk, more, flags, _ = socket.recv_fds(sock, 4 - len(data), 4)
        fds += more
        if flags & socket.MSG_CTRUNC or not chunk:
            for fd in fds:
                os.close(fd)
            if not chunk:
                raise ConnectionError("the other side closed the connection")
            raise WireError("more file descriptors than a message carries")
        data += chunk
    return data, fds


def _exactly(sock: socket.socket, size: int, aligned: bool = False):
    """``size`` bytes from ``sock``: a bytearray, or (``aligned``) an uninitialised NumPy
    buffer that starts at a multiple of :data:`ALIGN` (no zero-filling: it is all overwritten)."""
    if aligned:
        data = _aligned_empty(size)
    else:
        data = bytearray(size)
    view, got = memoryview(data).cast("B"), 0
    while got < size:
        n = sock.recv_into(view[got:], size - got)
        if not n:
            raise ConnectionError("the other side closed the connection")
        got += n
    return data
