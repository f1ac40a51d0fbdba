"""The loop's GIL-keeping socket calls, and pyzmq's, on real zmq sockets: same behaviour."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator

import pytest
import zmq

from pajamas.rpc.held_socket import HeldSocket, LoopSocket, PyzmqSocket, held, pyzmq_libzmq

Make = Callable[[zmq.Socket[bytes]], LoopSocket]


def _held(sock: zmq.Socket[bytes]) -> LoopSocket:
    lib = pyzmq_libzmq()
    assert lib is not None, "pyzmq's libzmq was not found in this process's mappings"
    return HeldSocket(sock, lib)


@pytest.fixture(params=[pytest.param(_held, id="held"), pytest.param(PyzmqSocket, id="pyzmq")])
def make(request: pytest.FixtureRequest) -> Make:
    if request.param is _held and not sys.platform.startswith("linux"):
        pytest.fail("held calls are expected wherever /proc/self/maps exists")
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def pair() -> Iterator[tuple[zmq.Socket[bytes], zmq.Socket[bytes]]]:
    ctx = zmq.Context()
    router, dealer = ctx.socket(zmq.ROUTER), ctx.socket(zmq.DEALER)
    router.bind("inproc://held")
    dealer.connect("inproc://held")
    yield router, dealer
    router.close(0)
    dealer.close(0)
    ctx.term()


def test_the_loop_gets_held_calls_on_linux() -> None:
    ctx = zmq.Context()
    sock = ctx.socket(zmq.ROUTER)
    try:
        expected = HeldSocket if sys.platform.startswith("linux") else PyzmqSocket
        assert isinstance(held(sock), expected)
    finally:
        sock.close(0)
        ctx.term()


def test_nothing_waiting_is_none(make: Make, pair: tuple[zmq.Socket[bytes], ...]) -> None:
    router, _ = pair
    assert make(router).recv_multipart() is None


def test_messages_go_both_ways_whole(make: Make, pair: tuple[zmq.Socket[bytes], ...]) -> None:
    router, dealer = pair
    loop = make(router)
    big = bytes(range(256)) * 4096  # 1 MiB, NULs included
    dealer.send_multipart([b"sig", b"", big])
    assert router.poll(10_000)
    route, *rest = loop.recv_multipart() or [b"?"]
    assert rest == [b"sig", b"", big]
    assert loop.recv_multipart() is None
    loop.send_multipart([route, b"\x00answer", b""])
    assert dealer.recv_multipart() == [b"\x00answer", b""]


def test_every_message_of_a_burst_comes_once_in_order(make: Make,
                                                      pair: tuple[zmq.Socket[bytes], ...]) -> None:
    router, dealer = pair
    loop = make(router)
    sender = threading.Thread(target=lambda: [dealer.send_multipart([b"%d" % n, b"x" * n])
                                              for n in range(2000)])
    sender.start()
    got: list[int] = []
    while len(got) < 2000:
        assert router.poll(10_000)
        while (frames := loop.recv_multipart()) is not None:
            number, body = frames[1:]
            assert body == b"x" * int(number)
            got.append(int(number))
    sender.join()
    assert got == list(range(2000))


def test_a_send_zmq_refuses_raises(make: Make) -> None:
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.ROUTER_MANDATORY, 1)  # an unknown peer is an error, not a drop
    try:
        with pytest.raises(zmq.ZMQError):
            make(router).send_multipart([b"nobody", b"sig", b"body"])
    finally:
        router.close(0)
        ctx.term()
