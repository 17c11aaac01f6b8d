"""Engine ports: one per instance, from the worker's range, free on the host."""

from __future__ import annotations

import socket


class NoFreePortError(RuntimeError):
    """Every port of the range is held by an instance or bound by another program."""


class PortTakenError(RuntimeError):
    """A specific port was asked for but another instance holds it."""


def is_bindable(host: str, port: int) -> bool:
    """Whether a server could listen on host:port right now.

    SO_REUSEADDR mirrors what servers set, so a port left in TIME_WAIT by a previous run
    counts as free while one with a live listener does not.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class PortAllocator:
    """Hands out ports of an inclusive range to instances and takes them back.

    A port is handed out only when no other instance holds it and a test bind on the host
    succeeds, so programs outside GPUStack that listen in the range are stepped around.
    """

    def __init__(self, start: int = 40000, end: int = 40063, host: str = "0.0.0.0") -> None:
        if not 0 < start <= end < 65536:
            raise ValueError(f"invalid port range {start}-{end}")
        self.start = start
        self.end = end
        self.host = host
        self._owners: dict[int, int] = {}

    @property
    def range_text(self) -> str:
        return f"{self.start}-{self.end}"

    def allocate(self, owner: int) -> int:
        """A free port for instance `owner`; the one it already holds if any."""
        held = self.port_of(owner)
        if held is not None:
            return held
        unbindable = 0
        for port in range(self.start, self.end + 1):
            if port in self._owners:
                continue
            if not is_bindable(self.host, port):
                unbindable += 1
                continue
            self._owners[port] = owner
            return port
        in_use = len(self._owners_in_range()) + unbindable
        raise NoFreePortError(f"no free port in {self.range_text} ({in_use} in use)")

    def reserve(self, port: int, owner: int) -> None:
        """Record that instance `owner` uses `port` (e.g. one the server already assigned)."""
        current = self._owners.get(port)
        if current is not None and current != owner:
            raise PortTakenError(f"port {port} is already used by instance {current}")
        self._owners[port] = owner

    def release(self, port: int) -> None:
        self._owners.pop(port, None)

    def port_of(self, owner: int) -> int | None:
        for port, holder in self._owners.items():
            if holder == owner:
                return port
        return None

    def in_use(self) -> dict[int, int]:
        """Held ports mapped to the instance holding each."""
        return dict(self._owners)

    def _owners_in_range(self) -> list[int]:
        return [port for port in self._owners if self.start <= port <= self.end]
