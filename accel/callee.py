"""The learner's side of a two-process test cell: answer the grader's calls, as plain data.

While the grader runs a test cell in its own process (:mod:`accel_instructor.bridge`), the
learner's kernel runs one cell the grader put in place of the test: ``serve(globals(), path)``. It
connects to the grader's socket and answers requests until the test is over:

* ``describe`` names: for each, "missing", "callable", a plain value, or a handle;
* ``call`` a name or handle with plain-data arguments; the reply is the result (or the error's
  type and message) and the arrays passed in, as the call left them (for ``out=`` kernels);
* ``getattr`` of a handle; a returned matplotlib Figure crosses as a description
  (:mod:`accel.figure_wire`: a learner-side report, rebuilt as a Figure by the grader);
* ``llvm_ir`` of a numba-compiled function, for a signature of arrays (a learner-side report);
* ``traced_call``: a call under tracemalloc, with its peak bytes; ``recorded_call``: on
  recording arrays, with the products they saw; ``clocked_call``: with ``benchmark`` replaced
  by a fixed clock, with the shapes and dtypes it was handed (the learner side measures each:
  see the README's list of checks that rest on what this side reports).

Nothing here decides anything: this module runs in the learner's process, which the learner
controls, so every answer is checked by the grader as data it did not compute.
"""
from __future__ import annotations

import contextlib
import gc
import os
import socket
import sys
import time
import tracemalloc

import numpy as np

from . import wire
from .tensor import Tensor


def _tagged_classes() -> dict:
    """Arrays the grader sends tagged, rebuilt here as the classes its tests mean."""
    from .grading.matmul import LoopOnlyArray
    return {"loop_only": LoopOnlyArray}


class _Server:
    def __init__(self, namespace: dict):
        self.namespace = namespace
        self.handles: dict[int, object] = {}
        self.classes = _tagged_classes()
        self.pinned: int | None = None
        self.limiter = None
        self.numba_threads: int | None = None

    def reply_value(self, value) -> tuple[dict, list]:
        from .figure_wire import describe, is_figure
        if is_figure(value):  # a figure crosses as what the figure checks read of it
            head, buffers = wire.encode(describe(value))
            pyplot = sys.modules.get("matplotlib.pyplot")
            if pyplot is not None:
                pyplot.close(value)
            return {"t": "figure", "v": head}, buffers
        try:
            return wire.encode(value)
        except wire.WireError:
            handle = len(self.handles) + 1
            self.handles[handle] = value
            try:
                shown = repr(value)[:200]
            except Exception:  # noqa: BLE001 - a repr that raises is the learner's
                shown = f"<{type(value).__name__}>"
            return {"t": "handle", "id": handle, "type": type(value).__name__[:100], "repr": shown}, []

    def target(self, request):
        if "handle" in request:
            return self.handles[int(request["handle"])]
        name = str(request["name"])
        if name not in self.namespace:
            raise NameError(f"name {name!r} is not defined in your notebook")
        return self.namespace[name]

    def handle(self, request: dict, buffers: list) -> tuple[dict, list]:
        op = request.get("op")
        if op == "describe":
            out, bufs = {}, []
            for name in request["names"]:
                if name not in self.namespace:
                    out[name] = {"kind": "missing"}
                    continue
                value = self.namespace[name]
                if callable(value) and not isinstance(value, (np.ndarray, Tensor)):
                    out[name] = {"kind": "callable", "type": type(value).__name__[:100]}
                    continue
                head, more = self.reply_value(value)
                _rebase(head, len(bufs))
                bufs += more
                out[name] = {"kind": "value", "v": head}
            return {"ok": out}, bufs
        if op == "getattr":
            value = getattr(self.target(request), str(request["attr"]))
            head, bufs = self.reply_value(value)
            return {"ok": head}, bufs
        if op == "llvm_ir":
            return {"ok": _llvm_ir(self.target(request), request.get("signature"))}, []
        if op in ("call", "traced_call", "recorded_call", "clocked_call"):
            fn = self.target(request)
            # the call gets arrays of its own; the bytes as they came stay, to see what it changed
            # (inside a timing nothing goes back: the arrays as they came are the call's own)
            keep = request.get("write_back", True) is not False
            own = [np.array(buffer, dtype=np.uint8) for buffer in buffers] if keep else buffers
            args, kwargs = wire.decode(request["args"], own, self.classes)
            threads = request.get("threads")
            self.pin(threads if type(threads) is int and threads > 0 else None)
            return self.call(op, fn, args, kwargs, request, buffers if keep else None)
        raise ValueError(f"unknown request {str(op)[:30]!r}")

    def pin(self, threads: int | None) -> None:
        """Thread pools limited as the grader's timing asks, and freed memory kept mapped
        (:func:`accel.bench.steady_heap`), from call to call: limiting them costs about a
        millisecond, which would be timed with every call."""
        if threads == self.pinned:
            return
        self.unpin()
        if threads is not None:
            from threadpoolctl import threadpool_limits

            from .bench import steady_heap
            self.limiter = contextlib.ExitStack()
            self.limiter.enter_context(threadpool_limits(limits=threads))
            # as on the grader's side: timed calls reuse mapped memory, not fresh pages
            self.limiter.enter_context(steady_heap())
            numba = sys.modules.get("numba")
            if numba is not None:
                self.numba_threads = numba.get_num_threads()
                numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        self.pinned = threads

    def unpin(self) -> None:
        if self.limiter is not None:
            self.limiter.close()
            self.limiter = None
        if self.numba_threads is not None:
            sys.modules["numba"].set_num_threads(self.numba_threads)
            self.numba_threads = None
        self.pinned = None

    def call(self, op, fn, args, kwargs, request, arrived):
        """One call of a learner's function; under tracemalloc for ``traced_call``; on
        recording arrays (:func:`accel.grading.tiling.record_products`) for ``recorded_call``;
        with a fixed clock as ``benchmark`` (:func:`accel.grading.roofline.clocked_call`) for
        ``clocked_call``. ``arrived``: the arguments' bytes as they came, to send back the
        arrays the call changed (None inside a timing: nothing goes back)."""
        peak, products, clocked = None, None, None
        if op == "recorded_call":
            from .grading.tiling import record_products
            result, products = record_products(fn, *args, **kwargs)
        elif op == "clocked_call":
            from .grading.roofline import clocked_call
            result, calls = clocked_call(fn, *args, **kwargs)
            clocked = [[[list(a.shape), a.dtype.str] for a in call] for call in calls]
        elif op == "traced_call":
            gc.collect()
            tracemalloc.start()
            tracemalloc.clear_traces()
            tracemalloc.reset_peak()
            base, _ = tracemalloc.get_traced_memory()
            try:
                result = fn(*args, **kwargs)
                peak = tracemalloc.get_traced_memory()[1] - base
            finally:
                tracemalloc.stop()
        else:
            result = fn(*args, **kwargs)
        # the arrays passed in that the call changed (out= kernels): only those go back
        after = [a if isinstance(a, (np.ndarray, Tensor)) and _changed(a, given) else None
                 for a, given in zip(args, _arrays_of(request["args"], arrived))] if arrived is not None else []
        head, bufs = self.reply_value(result)
        after_head, after_bufs = wire.encode(after)
        reply = {"ok": head, "after": _rebase(after_head, len(bufs)), "peak": peak}
        if products is not None:
            reply["products"] = [[str(name), [list(shape) for shape in shapes]] for name, shapes in products]
        if clocked is not None:
            reply["clocked"] = clocked
        return reply, bufs + after_bufs


NUMBA_DTYPES = ("float32", "float64", "int32", "int64")


def _llvm_ir(fn, signature) -> str:
    """The LLVM IR numba compiles ``fn`` to for ``signature`` (a list of ``[dtype, ndim,
    layout]`` arrays); TypeError naming the type when ``fn`` is not a numba-compiled function."""
    numba = sys.modules.get("numba")
    from_numba = numba is not None and isinstance(fn, sys.modules["numba.core.dispatcher"].Dispatcher)
    if not from_numba:
        raise TypeError(type(fn).__name__[:100])
    try:
        arrays = tuple(numba.types.Array(getattr(numba.types, dtype), int(ndim), layout)
                       for dtype, ndim, layout in signature
                       if dtype in NUMBA_DTYPES and layout in ("C", "A") and 0 < int(ndim) <= 8)
    except (TypeError, ValueError):
        arrays = ()
    if not arrays or len(arrays) != len(signature):
        raise ValueError("the grader asked for the IR of a signature it may not ask for")
    fn.compile(arrays)  # inspect_llvm shows only what was compiled
    return str(fn.inspect_llvm(arrays))


def _arrays_of(head, buffers) -> list:
    """The bytes each positional argument arrived as (None for what is not an array)."""
    try:
        positional = head["v"][0]["v"]
    except (KeyError, IndexError, TypeError):
        return []
    out = []
    for item in positional:
        item = item.get("a", item) if isinstance(item, dict) and item.get("t") == "tensor" else item
        out.append(buffers[item["buf"]] if isinstance(item, dict) and item.get("t") == "array" else None)
    return out


def _changed(value, given) -> bool:
    data = value.data if isinstance(value, Tensor) else value
    if given is None or not isinstance(data, np.ndarray) or data.nbytes != len(given):
        return True
    now = np.ascontiguousarray(data.view(np.ndarray)).reshape(-1).view(np.uint8)
    before = np.frombuffer(given, dtype=np.uint8)
    words = len(before) // 8 * 8  # compared 8 bytes at a time: a byte-wise compare cost 3 ms per 16 MB
    return not (np.array_equal(now[:words].view(np.uint64), before[:words].view(np.uint64))
                and np.array_equal(now[words:], before[words:]))


def _rebase(head, offset: int):
    """Renumber the buffer indices of an encoded value by ``offset`` (in place)."""
    if isinstance(head, dict):
        if head.get("t") == "array":
            head["buf"] += offset
        for value in head.values():
            if isinstance(value, (dict, list)):
                _rebase(value, offset)
    elif isinstance(head, list):
        for value in head:
            _rebase(value, offset)
    return head


@contextlib.contextmanager
def _unpinned(server: _Server):
    try:
        yield
    finally:
        server.unpin()


def serve(namespace: dict, path: str, connect_seconds: float = 120.0) -> None:
    """Answer the grader's requests for one test cell, then return."""
    __tracebackhide__ = True
    if not os.environ.get("ACCEL_SANDBOX"):
        return  # outside the grader there is nobody to answer
    deadline = time.monotonic() + connect_seconds
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            break
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)
    answer(sock, namespace)


def answer(sock: socket.socket, namespace) -> None:
    """Answer requests on ``sock`` with the functions and values of ``namespace`` until the
    other side says "end" or closes it (the learner's kernel for one test cell; the grader's
    trusted baselines process for the life of a grader kernel)."""
    __tracebackhide__ = True
    server = _Server(namespace)
    endpoint = wire.Endpoint()  # the grader's region for this connection, once it sends one
    with sock, _unpinned(server):
        while True:
            try:
                request, buffers = wire.receive(sock, endpoint, accept_fds=True)
            except (ConnectionError, wire.WireError, OSError):
                return
            if request.get("op") == "end":
                return
            try:
                header, out = server.handle(request, buffers)
            except BaseException as err:  # noqa: BLE001 - the learner's error, reported as data
                if isinstance(err, (KeyboardInterrupt, SystemExit)):
                    raise
                header, out = {"error": {"type": type(err).__name__[:100], "message": str(err)[:2000]}}, []
            # a timed call's result goes into the region after its arguments, if there is one
            reply_at = request.get("reply_at")
            region = endpoint.region if type(reply_at) is int and reply_at > 0 else None
            try:
                wire.send(sock, header, out, region=region, start=reply_at if region else 0)
            except OSError:
                return
