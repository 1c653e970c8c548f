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
"""
from __future__ import annotations

import json
import math
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

def send(sock: socket.socket, header: dict, buffers: list = ()) -> None:
    """One message: the header (with the buffers' sizes) and the buffers, in as few system calls
    as the socket takes (each wake-up of the other side costs a context switch)."""
    views = [memoryview(b).cast("B") for b in buffers]
    body = json.dumps(dict(header, sizes=[v.nbytes for v in views]), separators=(",", ":")).encode()
    parts = [memoryview(struct.pack("<I", len(body)) + body)]
    for view in views:
        if view.nbytes:
            parts.append(view)
            if _padded(view.nbytes) > view.nbytes:
                parts.append(memoryview(bytes(_padded(view.nbytes) - view.nbytes)))
    while parts:
        sent = sock.sendmsg(parts[:512])
        while sent:
            if sent >= parts[0].nbytes:
                sent -= parts[0].nbytes
                parts.pop(0)
            else:
                parts[0], sent = parts[0][sent:], 0


def receive(sock: socket.socket) -> tuple[dict, list]:
    """One message: its header (a dict) and its buffers, checked against the sizes it states."""
    (size,) = struct.unpack("<I", _exactly(sock, 4))
    if size > MAX_HEADER_BYTES:
        raise WireError(f"a header of {size} bytes (at most {MAX_HEADER_BYTES})")
    try:
        header = json.loads(_exactly(sock, size))
    except (ValueError, UnicodeDecodeError):
        raise WireError("a header that is not JSON") from None
    if not isinstance(header, dict):
        raise WireError("a header that is not an object")
    sizes = header.pop("sizes", [])
    if (not isinstance(sizes, list) or len(sizes) > MAX_ITEMS
            or not all(type(n) is int and n >= 0 for n in sizes)):
        raise WireError("malformed buffer sizes")
    if sum(sizes) > MAX_MESSAGE_BYTES:
        raise WireError(f"a message over {MAX_MESSAGE_BYTES >> 30} GiB")
    payload = memoryview(_exactly(sock, sum(_padded(n) for n in sizes), aligned=True))
    buffers, at = [], 0
    for n in sizes:
        buffers.append(payload[at:at + n])
        at += _padded(n)
    return header, buffers


def _exactly(sock: socket.socket, size: int, aligned: bool = False):
    """``size`` bytes from ``sock``: a bytearray, or (``aligned``) an uninitialised NumPy
    buffer that starts at a multiple of :data:`ALIGN` (no zero-filling: it is all overwritten)."""
    if aligned:
        raw = np.empty(size + ALIGN, dtype=np.uint8)
        skip = -raw.ctypes.data % ALIGN
        data = raw[skip:skip + size]
    else:
        data = bytearray(size)
    view, got = memoryview(data).cast("B"), 0
    while got < size:
        n = sock.recv_into(view[got:], size - got)
        if not n:
            raise ConnectionError("the other side closed the connection")
        got += n
    return data
