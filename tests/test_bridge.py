"""The plain-data boundary of the two-process grader, without a sandbox: the wire format
(accel.wire), the learner's side (accel.callee) and the grader's side (accel_instructor.bridge),
connected by a socket in one test process."""
from __future__ import annotations

import os
import socket
import threading

import numpy as np
import pytest

from accel import callee, wire
from accel.tensor import Tensor
from accel_instructor import bridge


def _round_trip(value):
    head, buffers = wire.encode(value)
    return wire.decode(head, [bytes(memoryview(b).cast("B")) for b in buffers])


def test_plain_data_crosses_unchanged():
    value = {"n": 3, "big": 2**70, "x": 0.1, "s": "text", "none": None, "flag": True,
             "pair": (1, [2.5, "three"]), "a": np.arange(12, dtype=np.float32).reshape(3, 4),
             "t": Tensor(np.ones((2, 2))), "scalar": np.float32(1.5)}
    back = _round_trip(value)
    assert back["pair"] == (1, [2.5, "three"]) and back["big"] == 2**70 and back["x"] == 0.1
    assert back["a"].dtype == np.float32 and np.array_equal(back["a"], value["a"]) and back["a"].flags.writeable
    assert type(back["t"]) is Tensor and np.array_equal(back["t"].data, np.ones((2, 2)))
    assert type(back["scalar"]) is np.float32


def test_a_dict_keyed_by_numbers_crosses_in_order():
    table = {1: 0.5, 2: 1.0, 8: np.float64(2.0), (3, "a"): None, 2.5: "x"}
    back = _round_trip(table)
    assert back == table and list(back) == list(table) and type(back[8]) is np.float64


def test_what_is_not_plain_data_is_refused():
    for value in (np.array([object()]), {object(): "key"}, {(1, frozenset()): "key"}, object(), lambda: 0):
        with pytest.raises(wire.WireError):
            wire.encode(value)
    nested: list = []
    for _ in range(wire.MAX_DEPTH + 2):
        nested = [nested]
    with pytest.raises(wire.WireError):
        wire.encode(nested)


def test_a_header_that_disagrees_with_its_bytes_is_refused():
    head, buffers = wire.encode(np.zeros(4))
    with pytest.raises(wire.WireError, match="does not match"):
        wire.decode(head, [bytes(31)])
    for bad in ({"t": "array", "dtype": "|O", "shape": [1], "buf": 0},
                {"t": "array", "dtype": "<f8", "shape": [-1], "buf": 0},
                {"t": "int", "v": "1+1"}, {"t": "eval", "v": "0"}):
        with pytest.raises(wire.WireError):
            wire.decode(bad, [bytes(8)])


def test_a_subclass_arrives_marked_so_exact_type_checks_refuse_it():
    class Sneaky(np.ndarray):
        pass

    back = _round_trip(np.zeros(3).view(Sneaky))
    assert type(back) is wire.LearnerArray


@pytest.fixture
def learner(tmp_path, monkeypatch):
    """A 'learner kernel' thread answering on a socket, and the bridge's link to it."""
    namespace = {}
    path = str(tmp_path / "callee.sock")
    monkeypatch.setattr(bridge, "_LINK", bridge._Link(path, timeout=10))

    def serve():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        callee.answer(sock, namespace)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    bridge._LINK.accept()
    yield namespace
    bridge._LINK.close()
    thread.join(timeout=10)


def test_a_learner_function_is_called_with_data_and_its_errors_keep_their_type(learner):
    def scale_into(x, out, factor=2.0):
        if factor < 0:
            raise ValueError("factor must be >= 0")
        out[...] = factor * x
        return float(out.sum())

    learner["scale_into"] = scale_into
    fn = bridge.LearnerFunction("scale_into")
    x, out = np.arange(4.0), np.zeros(4)
    assert fn(x, out, factor=3.0) == 18.0
    assert np.array_equal(out, 3.0 * x), "an out= argument is written back as the call left it"
    with pytest.raises(ValueError, match="factor must be"):
        fn(x, out, factor=-1.0)
    with pytest.raises(NameError):
        bridge.LearnerFunction("missing")(x)


def test_inside_a_timing_the_inputs_are_not_written_back(learner, monkeypatch):
    """A timing's inputs are fresh and read by no one after the call: the far side keeps no
    copy to compare them with and sends nothing back (a 16 MB call costs ~2 ms less); outside a
    timing an out= argument comes back as before."""
    def double_in_place(x):
        x *= 2
        return float(x.sum())

    learner["double_in_place"] = double_in_place
    fn, x = bridge.LearnerFunction("double_in_place"), np.ones(5)
    bridge.side_hook("begin")
    try:
        assert fn(x) == 10.0
        assert np.array_equal(x, np.ones(5)), "inside a timing nothing comes back"
    finally:
        bridge.side_hook("end")
    assert fn(x) == 10.0 and np.array_equal(x, np.full(5, 2.0)), "outside a timing it does"


def test_inside_a_timing_big_arrays_cross_through_a_region_the_grader_copies_out(learner):
    """Inside a timing a 4 MB argument and its 4 MB result go through the connection's shared
    region, not the socket; the result the grader holds is its own copy, so what the learner's
    side writes into the region afterwards changes nothing the grader checks."""
    seen = {}

    def negate(x):
        seen["in_region"] = not x.flags.owndata
        return -x

    learner["negate"] = negate
    fn, x = bridge.LearnerFunction("negate"), np.random.default_rng(3).standard_normal(1 << 19)
    bridge.side_hook("begin")
    try:
        got = fn(x)
        region = bridge._LINK.endpoint.region
        assert region is not None and seen["in_region"], "the argument was read in the region"
        assert np.array_equal(got, -x) and got.flags.writeable
        region.bytes[:] = 0  # what a learner could do once it has answered
        assert np.array_equal(got, -x), "the grader's result is a copy of its own"
        assert np.array_equal(fn(x + 1), -(x + 1)), "the region is reused call after call"
    finally:
        bridge.side_hook("end")


def test_the_grader_refuses_descriptors_and_placements_outside_its_region():
    """The learner's side may not hand the grader a file descriptor, and may not name bytes
    outside the region it was given (a refused message ends the connection)."""
    import array
    import struct
    region, fd = wire.Region.create(1 << 20)
    endpoint = wire.Endpoint()
    endpoint.region = region
    body = b'{"ok":1,"sizes":[]}'
    cases = [(lambda s: s.sendmsg([struct.pack("<I", len(body)) + body],
                                  [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))]),
              "file descriptor")]
    cases += [(lambda s, p=placed: wire.send(s, {"ok": 1, "placed": p}, [bytes(64)]), "placed")
              for placed in ([[0, region.size - 8]], [[0, -64]], [[1, 0]], "0")]
    try:
        for send, refusal in cases:
            mine, theirs = socket.socketpair()
            with mine, theirs:
                send(theirs)
                with pytest.raises(wire.WireError, match=refusal):
                    wire.receive(mine, endpoint)
    finally:
        os.close(fd)


def test_the_graders_baselines_cross_in_a_process_of_their_own():
    from accel_instructor.reference.matmul import trusted_naive_matmul
    bridge_before = bridge._BASELINES
    try:
        across = bridge.across(trusted_naive_matmul)
        assert isinstance(across, bridge.BaselineFunction)
        a, b = np.random.default_rng(0).standard_normal((5, 3)), np.random.default_rng(1).standard_normal((3, 4))
        assert np.allclose(across(a, b), trusted_naive_matmul(a, b))
        assert bridge._BASELINES.process.pid != os.getpid()
        local = lambda x: x  # noqa: E731 - not importable by name: runs where it is
        assert bridge.across(local) is local
        assert bridge.across(np.matmul) is np.matmul, "only the grader's own modules cross"
    finally:
        if bridge._BASELINES is not bridge_before:
            bridge._BASELINES.conn.close()
            bridge._BASELINES.process.wait(timeout=10)
        bridge._BASELINES = bridge_before


def test_zero_dimensional_and_strided_arrays_keep_their_shape():
    for value in (np.array(2.5), np.array(7, dtype=np.int8), np.arange(12.0).reshape(3, 4)[:, ::2],
                  np.zeros((0, 3)), Tensor(np.array(-0.75, dtype=np.float32))):
        back = _round_trip(value)
        data, want = (back.data, value.data) if isinstance(value, Tensor) else (back, value)
        assert data.shape == want.shape and data.dtype == want.dtype and np.array_equal(data, want)


def test_recorded_products_are_reported_from_the_learners_side(learner):
    """03's structure check on a proxy: the recording arrays are made, and the products seen, in
    the learner's kernel (a learner-side report, checked here for shape)."""
    from accel.grading.tiling import largest_block, record_products

    def two_halves(a, b, tile_size=2):
        x, y = a.data, b.data
        return Tensor(np.hstack([x @ y[:, :tile_size], x @ y[:, tile_size:]]))

    learner["two_halves"] = two_halves
    a, b = np.ones((3, 4)), np.ones((4, 4))
    result, products = record_products(bridge.LearnerFunction("two_halves"), a, b, tile_size=2)
    assert np.array_equal(result.data, a @ b)
    assert products == [("matmul", ((3, 4), (4, 2)))] * 2 and largest_block(products) == 4


def test_a_returned_figure_crosses_as_what_the_figure_checks_read(learner):
    """A Figure is described on the learner's side and rebuilt here as a real Figure: the
    roofline readers find the same lines, markers, texts and scales in both."""
    from matplotlib.figure import Figure

    from accel.grading.roofline import axes_texts, drawn_lines, marker_points, point_problems

    def plot(peak, kernels):
        fig = Figure()
        ax = fig.add_subplot()
        ax.plot([0.1, 5.0, 100.0], [2.0, peak, peak], label="roof")
        for name, (ai, rate) in kernels.items():
            ax.scatter([ai], [rate])
            ax.annotate(name, (ai, rate))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("intensity (FLOP/byte)")
        ax.set_ylabel("GFLOP/s")
        ax.legend()
        return fig

    kernels = {"add": (0.08, 1.5), "matmul": (40.0, 80.0)}
    learner["plot"] = plot
    here, there = plot(100.0, kernels), bridge.LearnerFunction("plot")(100.0, kernels)
    assert isinstance(there, Figure) and there is not here
    a, b = here.axes[0], there.axes[0]
    assert (b.get_xscale(), b.get_yscale(), b.get_xlabel(), b.get_ylabel()) == (
        a.get_xscale(), a.get_yscale(), a.get_xlabel(), a.get_ylabel())
    assert all(np.array_equal(x, y) for x, y in zip(drawn_lines(a), drawn_lines(b), strict=True))
    assert np.array_equal(marker_points(a), marker_points(b))
    assert sorted(axes_texts(a)) == sorted(axes_texts(b)) and "roof" in axes_texts(b)
    assert point_problems(there, kernels) == [] and point_problems(there, {"gemv": (1.0, 2.0)})


def test_a_description_that_is_not_a_figure_is_refused():
    from accel.figure_wire import rebuild
    for bad in ({"axes": "no"}, {"axes": [{"lines": [{"x": np.zeros(2), "y": np.zeros(3)}]}]},
                {"axes": [{"texts": [object()]}]}, {"axes": [{"lines": [{"x": "0", "y": "0"}]}]}):
        with pytest.raises(ValueError):
            rebuild(bad)


def test_a_clocked_call_reports_what_the_fixed_clock_was_handed(learner):
    """clocked_call binds a fixed clock as `benchmark` where the learner's function looks it up,
    for the call only, and returns the shapes and dtypes it was handed (not the data)."""
    from accel.grading.roofline import TimedArray, clocked_call
    namespace = {"np": np, "benchmark": "the real one"}
    exec("def measure(n):\n"  # noqa: S102 - a learner's function, defined in its own namespace
         "    a = np.ones((n, n), np.float32)\n"
         "    return 2 * n**3 / 1e9 / benchmark(np.matmul, a, a).best\n", namespace)
    learner.update(namespace)
    local_rate, local_calls = clocked_call(namespace["measure"], 64)
    rate, calls = clocked_call(bridge.LearnerFunction("measure"), 64)
    assert rate == local_rate == 2 * 64**3 / 1e9 and namespace["benchmark"] == "the real one"
    assert [[(a.shape, a.dtype) for a in call] for call in calls] == [[((64, 64), np.float32)] * 2]
    assert isinstance(calls[0][0], TimedArray) and calls[0][0].nbytes == local_calls[0][0].nbytes


def test_a_compiled_functions_ir_crosses_and_a_plain_function_says_what_it_is(learner):
    """numba's LLVM IR of a learner's @njit function, for a signature given as plain data (what
    the vectorisation check of 02 reads, once 02 is two-process); a plain function's type name."""
    from numba import njit

    from accel.grading.fusion import float32_vector_lanes

    @njit(cache=False)
    def scale(x, out):
        for i in range(x.size):
            out[i] = x[i] * np.float32(2.0)

    learner.update(scale=scale, plain=lambda x, out: None)
    ir = bridge.LearnerFunction("scale").llvm_ir([["float32", 1, "C"]] * 2)
    assert "define" in ir and float32_vector_lanes(ir) >= 4
    with pytest.raises(TypeError, match="function"):
        bridge.LearnerFunction("plain").llvm_ir([["float32", 1, "C"]] * 2)
    with pytest.raises(ValueError, match="signature"):
        bridge.LearnerFunction("scale").llvm_ir([["object", 1, "C"]])
