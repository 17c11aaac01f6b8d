"""Port allocation for engine instances."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from gpustack.worker.supervisor import NoFreePortError, PortAllocator, PortTakenError


@pytest.fixture
def listener() -> Iterator[int]:
    """A port some other program listens on, with free ports on both sides of it.

    The neighbours are checked, not assumed: other processes on a busy machine take ports.
    """
    for _ in range(100):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
            if port < 65535 and all(_free(p) for p in (port - 1, port + 1)):
                sock.listen()
                yield port
                return
    pytest.fail("no listening port with free neighbours found")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_instances_get_distinct_ports_and_keep_theirs() -> None:
    ports = PortAllocator(47400, 47409, host="127.0.0.1")

    first, second = ports.allocate(1), ports.allocate(2)

    assert first != second
    assert ports.allocate(1) == first
    assert ports.in_use() == {first: 1, second: 2}


def test_released_port_is_handed_out_again() -> None:
    ports = PortAllocator(47400, 47400, host="127.0.0.1")
    port = ports.allocate(1)

    ports.release(port)

    assert ports.allocate(2) == port


def test_port_bound_by_another_program_is_skipped(listener: int) -> None:
    ports = PortAllocator(listener, listener + 1, host="127.0.0.1")

    assert ports.allocate(1) == listener + 1


def test_exhausted_range_says_how_many_are_in_use(listener: int) -> None:
    ports = PortAllocator(listener - 1, listener, host="127.0.0.1")
    ports.allocate(1)

    with pytest.raises(NoFreePortError) as raised:
        ports.allocate(2)

    assert str(raised.value) == f"no free port in {listener - 1}-{listener} (2 in use)"


def test_default_range_exhausted() -> None:
    ports = PortAllocator()
    # Whatever else listens in the range counts as in use too; the message is the same.
    for owner in range(64):
        try:
            ports.allocate(owner)
        except NoFreePortError:
            break

    with pytest.raises(NoFreePortError, match=r"^no free port in 40000-40063 \(64 in use\)$"):
        ports.allocate(100)


def test_reserving_a_port_held_by_another_instance_fails() -> None:
    ports = PortAllocator(47400, 47409, host="127.0.0.1")
    ports.reserve(47405, owner=1)
    ports.reserve(47405, owner=1)

    with pytest.raises(PortTakenError, match="port 47405 is already used by instance 1"):
        ports.reserve(47405, owner=2)
