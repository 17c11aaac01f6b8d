"""ASGI type aliases shared by the gateway modules."""

from starlette.types import Message, Receive, Scope, Send

__all__ = ["Message", "Receive", "Scope", "Send"]
