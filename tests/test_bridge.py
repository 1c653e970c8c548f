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


def test_what_is_not_plain_data_is_refused():
    for value in (np.array([object()]), {1: "int key"}, object(), lambda: 0):
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
