"""`POST /chat/completions`: completions over messages; images refused for models without vision."""

from __future__ import annotations

from typing import Any

from ..errors import bad_request
from ..routes import ModelRoute
from .completions import Completions


class ChatCompletions(Completions):
    path = "/chat/completions"
    name = "chat.completions"
    upstream_path = "/v1/chat/completions"

    def check(self, doc: dict[str, Any], route: ModelRoute) -> None:
        check_chat(doc, route)


def check_chat(doc: dict[str, Any], route: ModelRoute) -> None:
    """Refuse (400) messages that are not a list, and images sent to a model without vision."""
    messages = doc.get("messages")
    if not isinstance(messages, list):
        raise bad_request("'messages' must be a list of messages.", param="messages")
    if "vision" in route.capabilities:
        return
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list) and any(_is_image_part(part) for part in content):
            raise bad_request(
                f"The model '{route.name}' does not accept images: it has no vision capability.",
                param="messages",
            )


def _is_image_part(part: object) -> bool:
    return isinstance(part, dict) and part.get("type") in ("image_url", "input_image")
