"""What an operation is: how it reads a body, what it sends upstream, how it answers.

The gateway looks an operation up by path and drives every request the same way: read the
body with `parse`, check access, `prepare` the upstream request (400s happen here, before any
engine is called), pick an instance, send, then hand the engine's answer to `relay`. A new API
is a new operation module and an entry in the registry, not a branch in the gateway.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from ..asgi import Send
from ..call import Call, Outcome
from ..errors import GatewayError
from ..jsonio import dumps, loads
from ..relay import read_whole, send_whole
from ..request import ParsedBody, parse_json_body, parse_multipart_body
from ..upstream import UpstreamResponse


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    """What goes to the engine, and how its answer is to be read."""

    body: bytes
    # The client asked for a server-sent-event stream (recorded with the usage).
    stream: bool = False
    # The answer is read as it comes: the idle timeout between chunks applies.
    chunked: bool = False
    # Hashed by the prefix-affinity balancer (None: least outstanding).
    affinity_key: bytes | None = None
    # When set, the gateway answers this (HTTP 200, JSON) itself and calls no engine.
    answer: bytes | None = None


U = TypeVar("U", bound=UpstreamRequest)


class Operation(Protocol[U]):
    """One inference API, e.g. `POST /chat/completions`."""

    @property
    def path(self) -> str:
        """Below the mount point: `/chat/completions`."""
        ...

    @property
    def name(self) -> str:
        """In usage records and metrics: `chat.completions`."""
        ...

    @property
    def upstream_path(self) -> str:
        """On the engine: `/v1/chat/completions`."""
        ...

    def parse(self, body: bytes, content_type: str) -> ParsedBody:
        """The model the body names (raises a 400 GatewayError when it cannot be read)."""
        ...

    def prepare(self, call: Call) -> U:
        """Validate (400 before any engine call) and build the upstream request."""
        ...

    async def relay(
        self, call: Call, upstream: U, response: UpstreamResponse, send: Send, outcome: Outcome
    ) -> None:
        """Answer the client from the engine's response, taking usage into `outcome`."""
        ...

    def error_body(self, error: GatewayError) -> bytes:
        """An error answered before or instead of the engine's answer, in this API's shape."""
        ...


class JsonOperation:
    """A JSON body in; the engine's answer passed on whole, as it was sent."""

    path: str
    name: str
    upstream_path: str

    def parse(self, body: bytes, content_type: str) -> ParsedBody:
        return parse_json_body(body)

    def prepare(self, call: Call) -> UpstreamRequest:
        return UpstreamRequest(call.body)

    async def relay(
        self,
        call: Call,
        upstream: UpstreamRequest,
        response: UpstreamResponse,
        send: Send,
        outcome: Outcome,
    ) -> None:
        await send_whole(send, response, await read_whole(response, call), outcome)

    def error_body(self, error: GatewayError) -> bytes:
        return error.body()


class MultipartOperation(JsonOperation):
    """A multipart form in (uploads), forwarded as it came; the answer passed on whole."""

    def parse(self, body: bytes, content_type: str) -> ParsedBody:
        return parse_multipart_body(body, content_type)


class ReshapingOperation(ABC, Generic[U]):
    """A JSON body in; a successful answer reshaped to the `/v1` contract, usage taken."""

    path: str
    name: str
    upstream_path: str

    def parse(self, body: bytes, content_type: str) -> ParsedBody:
        return parse_json_body(body)

    @abstractmethod
    def prepare(self, call: Call) -> U: ...

    @abstractmethod
    def reshape(self, call: Call, upstream: U, doc: dict[str, Any]) -> dict[str, Any] | None:
        """The answer to send, or None when the engine's is fine as it is (sent untouched)."""

    async def relay(
        self, call: Call, upstream: U, response: UpstreamResponse, send: Send, outcome: Outcome
    ) -> None:
        await self.answer_whole(call, upstream, response, send, outcome)

    def error_body(self, error: GatewayError) -> bytes:
        return error.body()

    async def answer_whole(
        self, call: Call, upstream: U, response: UpstreamResponse, send: Send, outcome: Outcome
    ) -> None:
        body = await read_whole(response, call)
        if response.status < 400:
            body = self._reshaped(call, upstream, body, outcome)
        await send_whole(send, response, body, outcome)

    def _reshaped(self, call: Call, upstream: U, body: bytes, outcome: Outcome) -> bytes:
        try:
            doc: Any = loads(body)
        except ValueError:
            return body
        if not isinstance(doc, dict):
            return body  # not ours to fix: passed on as it is
        shaped = self.reshape(call, upstream, doc)
        outcome.take_usage((doc if shaped is None else shaped).get("usage"))
        return body if shaped is None else dumps(shaped)


def json_doc(call: Call) -> dict[str, Any]:
    """The body of a call to an operation that parses JSON."""
    doc = call.doc
    assert doc is not None, "parsed as JSON"
    return doc
