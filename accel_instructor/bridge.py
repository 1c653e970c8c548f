"""The grader's side of a two-process test cell: the learner's names as proxies over plain data.

A notebook's test cells never run in the learner's kernel. The trusted runner
(:mod:`accel_instructor.sandbox`) runs them in a grader kernel of its own, outside the
learner's sandbox, after the notebook's set-up cell; the learner's kernel meanwhile runs
:func:`accel.callee.serve` in the test cell's place. Around each test cell the runner calls
:func:`begin` and :func:`end` in the grader kernel:

* ``begin(names)`` takes the learner kernel's connection and binds each name the test reads
  that no trusted cell (the set-up cell, an earlier test) defined: a learner function becomes
  a :class:`LearnerFunction`, a value is fetched as plain data (:mod:`accel.wire`), anything
  else becomes a :class:`RemoteObject` handle;
* calling a proxy sends the arguments as data and takes back the result (or the error's type
  and message, raised here as the same built-in exception type) and the arrays passed in as
  the call left them (written back, for ``out=`` kernels); nothing is unpickled or evaluated;
* the timing helpers of :mod:`accel.grading` time each call from here, and while the grader's
  baseline is timed the learner's sandbox is frozen (its freezer cgroup), so nothing of the
  learner's runs on the core meanwhile.
"""
from __future__ import annotations

import builtins
import os
import socket
import time
from pathlib import Path

import numpy as np

from accel import wire
from accel.tensor import Tensor

ERRORS = {cls.__name__: cls for cls in (
    ValueError, TypeError, IndexError, KeyError, ZeroDivisionError, AssertionError, NotImplementedError,
    RuntimeError, ArithmeticError, OverflowError, AttributeError, NameError, MemoryError,
    FloatingPointError, RecursionError, LookupError, UnboundLocalError)}


ACCEPT_SECONDS = 3  # the learner's serving cell connects as soon as it runs (in milliseconds)


class LearnerSideError(RuntimeError):
    """The learner's kernel raised an exception of a type not mapped to a built-in one, or did
    not answer."""


def _tags() -> dict:
    from accel.grading.matmul import LoopOnlyArray
    return {LoopOnlyArray: "loop_only"}


class _Link:
    """The listening socket of this grader kernel and the current test cell's connection."""

    def __init__(self, path: str, timeout: float):
        self.path, self.timeout = path, timeout
        Path(path).unlink(missing_ok=True)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        os.chmod(path, 0o777)  # the sandbox's uid connects
        self.listener.listen(4)
        self.conn: socket.socket | None = None
        self.endpoint = wire.Endpoint()
        self.problem = ""
        self.frozen = False

    def accept(self) -> None:
        self.close()
        self.listener.settimeout(ACCEPT_SECONDS)
        try:
            self.conn, _ = self.listener.accept()
            self.conn.settimeout(self.timeout)
            self.problem = ""
        except OSError:
            self.conn = None
            self.problem = (f"your kernel did not answer the grader within {ACCEPT_SECONDS} s (did an "
                            f"earlier cell stop it, or change how cells run?)")

    def request(self, header: dict, buffers: list = ()):
        __tracebackhide__ = True
        thaw()
        if self.conn is None:
            raise LearnerSideError(self.problem or "your kernel is not connected to the grader")
        try:
            reply, data = _exchange(self, header, buffers)
        except socket.timeout:
            self.close()
            self.problem = f"your kernel did not answer a call within {self.timeout:.0f} s"
            raise LearnerSideError(self.problem) from None
        except (OSError, ConnectionError, wire.WireError) as err:
            self.close()
            self.problem = f"the connection to your kernel failed ({err})"
            raise LearnerSideError(self.problem) from None
        return _checked(reply, data)

    def close(self) -> None:
        if self.conn is not None:
            try:
                wire.send(self.conn, {"op": "end"})
            except OSError:
                pass
            self.conn.close()
            self.conn = None
            self.endpoint = wire.Endpoint()  # each connection gets a region of its own


def _exchange(channel, header: dict, buffers: list) -> tuple[dict, list]:
    """One request on ``channel`` (its ``conn`` and ``endpoint``) and its reply. Inside a timing
    big arrays cross through the connection's region (:class:`accel.wire.Region`): this side
    copies the arguments in, the other side its result after them, and this side copies that
    out, all within the timed call. The region is made at the first call that needs it (a
    timing's untimed warm-up), with room for the arguments and a result four times their size."""
    if not _TIMING:
        wire.send(channel.conn, header, buffers)
        return wire.receive(channel.conn)
    need = sum(wire._padded(memoryview(b).nbytes) for b in buffers
               if memoryview(b).nbytes >= wire.REGION_MIN_BYTES)
    region, fds, extra = channel.endpoint.region, [], {}
    size = min(max(5 * need, 8 << 20), wire.MAX_REGION_BYTES)
    if need and (region is None or region.size < min(2 * need, size)):  # (capped: made once)
        region, fd = wire.Region.create(size)
        channel.endpoint.region, fds, extra = region, [fd], {"region": size}
    try:
        wire.send(channel.conn, {**header, **extra, "reply_at": need}, buffers,
                  region=region if need else None, fds=fds)
    finally:
        for fd in fds:
            os.close(fd)
    return wire.receive(channel.conn, channel.endpoint)


def _checked(reply: dict, data: list, who: str = "your kernel"):
    """A reply as (reply, buffers); an error reply raised as the same built-in exception type."""
    __tracebackhide__ = True
    if "error" in reply:
        error = reply["error"] if isinstance(reply["error"], dict) else {}
        kind, message = str(error.get("type", "Exception"))[:100], str(error.get("message", ""))[:2000]
        cls = ERRORS.get(kind)
        if cls is None:
            raise LearnerSideError(f"{kind}: {message}")
        raise cls(message)
    if "ok" not in reply:
        raise LearnerSideError(f"{who} sent a reply without a result")
    return reply, data


class _Baselines:
    """The grader's own baselines, in a process of the grader's (``python -m
    accel_instructor.bridge --baselines``) started at the first baseline a timing calls: each
    baseline call crosses a socket as plain data, as a call of the learner's kernel does, so
    both sides of a ratio pay the same crossing. It runs on the grader kernel's cores (on the
    timing's one core while a timing runs) and is never frozen."""

    def __init__(self, timeout: float):
        import subprocess
        import sys
        mine, theirs = socket.socketpair()
        self.process = subprocess.Popen([sys.executable, "-m", "accel_instructor.bridge", "--baselines",
                                         str(theirs.fileno())], pass_fds=[theirs.fileno()],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        theirs.close()
        mine.settimeout(timeout)
        self.conn = mine
        self.endpoint = wire.Endpoint()

    def request(self, header: dict, buffers: list = ()):
        __tracebackhide__ = True
        try:
            reply, data = _exchange(self, header, buffers)
        except (OSError, ConnectionError, wire.WireError) as err:
            raise RuntimeError(f"the grader's baselines process failed ({err})") from None
        return _checked(reply, data, "the grader's baselines process")


TRUSTED_MODULES = ("accel_instructor.reference", "accel.grading")  # where the grader's baselines live


def _resolve(name: str):
    """``module:qualname`` of a function in :data:`TRUSTED_MODULES`, imported."""
    import importlib
    module, _, qualname = str(name).partition(":")
    if not any(module == m or module.startswith(f"{m}.") for m in TRUSTED_MODULES):
        raise KeyError(name)
    found = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


class _TrustedNames(dict):
    """The baselines process's namespace: any function of the grader's trusted modules, by name."""

    def __missing__(self, name):
        try:
            self[name] = _resolve(name)
        except (ImportError, AttributeError, ValueError) as err:
            raise KeyError(name) from err
        return self[name]

    def __contains__(self, name) -> bool:
        try:
            self[name]
        except KeyError:
            return False
        return True


_LINK: _Link | None = None
_TIMING: list = []  # non-empty while a timing of accel.grading runs (side_hook "begin" .. "end")
_BASELINES: _Baselines | None = None
_BOUND: dict[str, object] = {}  # names bound from the learner's side, and what they were bound to


def _link() -> _Link:
    global _LINK
    if _LINK is None:
        _LINK = _Link(os.environ["ACCEL_EXCHANGE_SOCKET"], float(os.environ.get("ACCEL_CALL_TIMEOUT", "110")))
    return _LINK


def _value(head, buffers):
    if isinstance(head, dict) and head.get("t") == "handle":
        return RemoteObject(int(head["id"]), str(head.get("type", "object"))[:100], str(head.get("repr", ""))[:200])
    if isinstance(head, dict) and head.get("t") == "figure":  # rebuilt from what the learner's side describes
        from accel.figure_wire import rebuild
        try:
            return rebuild(wire.decode(head.get("v"), buffers))
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            raise LearnerSideError(f"your kernel returned a figure the grader could not rebuild ({err})") from None
    return wire.decode(head, buffers)


class LearnerFunction:
    """A function the learner defined, called in the learner's kernel with plain data."""

    def __init__(self, name: str, kind: str = "function"):
        self.__name__ = self.name = name
        self.kind = kind

    def _send(self, op: str, args, kwargs):
        __tracebackhide__ = True
        import accel.bench
        head, buffers = wire.encode((list(args), dict(kwargs)), _tags())
        # a timing's thread pin applies on the learner's side too (honoured there: see README)
        # inside a timing the arguments are the timing's fresh inputs, read by no one after the
        # call: nothing the call does to them comes back, so the far side keeps no copy of them
        timing = bool(_TIMING)
        reply, data = self._channel().request({"op": op, **self._target(), "args": head,
                                               "threads": accel.bench.PINNED, "write_back": not timing},
                                              buffers)
        result = _value(reply["ok"], data)
        after = wire.decode(reply.get("after", {"t": "list", "v": []}), data)
        for given, changed in zip(args, after if isinstance(after, list) and not timing else []):
            _write_back(given, changed)
        return result, reply

    def _target(self) -> dict:
        return {"name": self.name}

    def _channel(self):
        return _link()

    def __call__(self, *args, **kwargs):
        __tracebackhide__ = True
        return self._send("call", args, kwargs)[0]

    def traced_call(self, *args, **kwargs) -> tuple[object, int]:
        """The result and the peak bytes tracemalloc saw while the call ran, in the learner's
        kernel (a learner-side report)."""
        __tracebackhide__ = True
        result, reply = self._send("traced_call", args, kwargs)
        peak = reply.get("peak")
        if type(peak) is not int or peak < 0:
            raise LearnerSideError("your kernel reported no memory peak for the call")
        return result, peak

    def recorded_call(self, a, b, *args, **kwargs) -> tuple[object, list]:
        """``record_products`` of this function, run in the learner's kernel: the result and
        the products the recording arrays saw there, as ``(operation, operand shapes)`` (a
        learner-side report)."""
        __tracebackhide__ = True
        result, reply = self._send("recorded_call", (a, b, *args), kwargs)
        products = reply.get("products")
        try:
            checked = [(name, tuple(tuple(int(n) for n in shape) for shape in shapes))
                       for name, shapes in products if type(name) is str]
        except (TypeError, ValueError):
            checked = None
        if checked is None or len(checked) != len(products) or len(checked) > 1_000_000:
            raise LearnerSideError("your kernel reported no products for the recorded call")
        return result, checked

    def clocked_call(self, *args, **kwargs) -> tuple[object, list]:
        """:func:`accel.grading.roofline.clocked_call` of this function, run in the learner's
        kernel: the result and, per call of the fixed clock, the arrays it was handed as
        :class:`~accel.grading.roofline.TimedArray` (a learner-side report)."""
        __tracebackhide__ = True
        from accel.grading.roofline import TimedArray
        result, reply = self._send("clocked_call", args, kwargs)
        try:
            calls = [[TimedArray(shape, dtype) for shape, dtype in call] for call in reply.get("clocked")]
        except (TypeError, ValueError):
            calls = None
        if calls is None or sum(map(len, calls)) > 100_000:
            raise LearnerSideError("your kernel reported no clock calls for the call")
        return result, calls

    def llvm_ir(self, signature: list) -> str:
        """numba's LLVM IR of this function for ``signature`` (``[dtype, ndim, layout]`` per
        array argument), compiled in the learner's kernel (a learner-side report). TypeError,
        with the type's name, when it is not a numba-compiled function."""
        __tracebackhide__ = True
        reply, _ = self._channel().request({"op": "llvm_ir", **self._target(), "signature": signature})
        if type(reply["ok"]) is not str:
            raise LearnerSideError("your kernel reported no IR for the compiled function")
        return reply["ok"]

    def __repr__(self) -> str:
        return f"<your {self.kind} {self.name}>"


class BaselineFunction(LearnerFunction):
    """One of the grader's baselines, called in the grader's baselines process (:class:`_Baselines`)."""

    def _channel(self):
        global _BASELINES
        if _BASELINES is None:
            _BASELINES = _Baselines(float(os.environ.get("ACCEL_CALL_TIMEOUT", "110")))
        return _BASELINES

    def __repr__(self) -> str:
        return f"<the grader's baseline {self.name}>"


def across(baseline):
    """What a timing calls for ``baseline`` (``accel.grading.set_baseline_hook``): a function of
    the grader's trusted modules, found there by its name, becomes a :class:`BaselineFunction`;
    anything else (a lambda of a test, say) runs here as it is."""
    module, qualname = getattr(baseline, "__module__", None), getattr(baseline, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname:
        return baseline
    try:
        if _resolve(f"{module}:{qualname}") is not baseline:
            return baseline
    except (KeyError, ImportError, AttributeError, ValueError):
        return baseline
    return BaselineFunction(f"{module}:{qualname}")


class RemoteObject(LearnerFunction):
    """An object in the learner's kernel that is not plain data: attributes and calls cross."""

    def __init__(self, handle: int, type_name: str, shown: str):
        super().__init__(f"<{type_name}>", type_name)
        self.handle, self.type_name, self.shown = handle, type_name, shown

    def _target(self) -> dict:
        return {"handle": self.handle}

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        reply, data = _link().request({"op": "getattr", "handle": self.handle, "attr": attr})
        return _value(reply["ok"], data)

    def __repr__(self) -> str:
        return self.shown


def _write_back(given, changed) -> None:
    """An array argument as the learner's call left it, copied into the grader's own array."""
    target = given.data if isinstance(given, Tensor) else given
    source = changed.data if isinstance(changed, Tensor) else changed
    if (isinstance(target, np.ndarray) and isinstance(source, np.ndarray) and target.flags.writeable
            and target.shape == source.shape and target.dtype == source.dtype):
        np.copyto(target.view(np.ndarray), source.view(np.ndarray))


def begin(names: list[str]) -> None:
    """Before a test cell: take the learner kernel's connection and bind the names it reads."""
    from IPython import get_ipython
    ns = get_ipython().user_ns
    link = _link()
    link.accept()
    wanted = [n for n in names if (n not in ns or n in _BOUND) and not hasattr(builtins, n)]
    if not wanted or link.conn is None:
        return
    try:
        reply, data = link.request({"op": "describe", "names": wanted})
    except Exception:  # noqa: BLE001 - the names stay unbound: the test's own NameError says so
        return
    described = reply["ok"] if isinstance(reply["ok"], dict) else {}
    for name in wanted:
        what = described.get(name) if isinstance(described.get(name), dict) else {"kind": "missing"}
        try:
            if what.get("kind") == "callable":
                value = LearnerFunction(name)
            elif what.get("kind") == "value":
                value = _value(what.get("v"), data)
            else:
                raise KeyError(name)
        except (KeyError, wire.WireError, TypeError, ValueError):
            if name in _BOUND:
                ns.pop(name, None)
                _BOUND.pop(name)
            continue
        ns[name] = _BOUND[name] = value


def end() -> None:
    """After a test cell: end the learner's serving cell; names the test rebound become its own."""
    from IPython import get_ipython
    ns = get_ipython().user_ns
    for name, value in list(_BOUND.items()):
        if ns.get(name) is not value:
            _BOUND.pop(name)
    thaw()
    _link().close()


# -- the learner's sandbox held still while the baseline is timed ------------------------------

def _freezer() -> tuple[Path, int] | None:
    path = os.environ.get("ACCEL_LEARNER_FREEZER")
    if not path:
        return None
    return Path(path), (1 if (Path(path) / "freezer.state").exists() else 2)


def freeze() -> None:
    _set_frozen(True)


def thaw() -> None:
    _set_frozen(False)


def _set_frozen(frozen: bool) -> None:
    link = _LINK
    found = _freezer()
    if found is None or (link is not None and link.frozen == frozen) or (link is None and not frozen):
        return
    group, version = found
    try:
        if version == 1:
            (group / "freezer.state").write_text("FROZEN" if frozen else "THAWED")
            want = "FROZEN" if frozen else "THAWED"
            for _ in range(500):
                if (group / "freezer.state").read_text().strip() == want:
                    break
                time.sleep(0.002)
        else:
            (group / "cgroup.freeze").write_text("1" if frozen else "0")
            want = f"frozen {int(frozen)}"
            for _ in range(500):
                if want in (group / "cgroup.events").read_text():
                    break
                time.sleep(0.002)
    except OSError:
        return
    if link is not None:
        link.frozen = frozen


# -- both sides on one core while a timing runs ------------------------------------------------

_SHARED: list = []  # while a timing runs: (this kernel's cores, the learner's cpuset) to restore


def share_core(on: bool) -> None:
    """For a timing, the learner's sandbox (its cpuset cgroup) and this kernel run on one and the
    same core, the first of the sandbox's: whatever else uses that core slows both sides alike,
    and a learner's extra threads get no core the single-threaded baseline lacks."""
    core = os.environ.get("ACCEL_TIMING_CORE", "")
    if not core.isdigit() or bool(_SHARED) == on:
        return
    cpus = Path(os.environ["ACCEL_LEARNER_CPUSET"]) / "cpuset.cpus" if os.environ.get("ACCEL_LEARNER_CPUSET") else None
    baselines = [_BASELINES.process.pid] if _BASELINES is not None else []
    if on:
        mine = os.sched_getaffinity(0)
        theirs = cpus.read_text().strip() if cpus is not None else ""
        _SHARED.append((mine, theirs))
        if cpus is not None:
            cpus.write_text(core)
        for pid in [0, *baselines]:  # a baselines process started later inherits the core
            os.sched_setaffinity(pid, {int(core)})
    else:
        mine, theirs = _SHARED.pop()
        if cpus is not None and theirs:
            cpus.write_text(theirs)
        for pid in [0, *baselines]:
            os.sched_setaffinity(pid, mine)


def side_hook(side: str) -> None:
    """:mod:`accel.grading`'s timing calls this around a timing ("begin", "end": both sides on
    one core) and before each side of a round: the learner's sandbox is frozen while the
    baseline ("b") runs, thawed for the candidate ("c")."""
    if side in ("begin", "end"):
        share_core(side == "begin")
        if side == "begin":
            _TIMING.append(True)
        elif _TIMING:
            _TIMING.pop()
    elif side == "b":
        freeze()
    else:
        thaw()


def install() -> None:
    """In the grader kernel, once: the timing helpers put both sides on one core, freeze the
    learner around baselines and call the grader's baselines across a boundary too."""
    import accel.grading
    accel.grading.set_side_hook(side_hook)
    accel.grading.set_baseline_hook(across)


def _serve_baselines(fd: int) -> None:
    """The grader's baselines process: answer calls on the inherited socket until it closes."""
    from accel.callee import answer
    answer(socket.socket(fileno=fd), _TrustedNames())


if __name__ == "__main__":
    import sys
    if sys.argv[1:2] == ["--baselines"] and len(sys.argv) == 3:
        _serve_baselines(int(sys.argv[2]))
