"""From a failed call to advice: which field the engine refused and why the client sends it."""

from __future__ import annotations

from .probe import Probe, json_doc


def error_message(body: bytes) -> str:
    """The message of an OpenAI-shaped error, else the start of the body."""
    doc = json_doc(body)
    if doc is not None:
        error = doc.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if isinstance(doc.get("message"), str):
            return str(doc["message"])
        if isinstance(doc.get("detail"), str):
            return str(doc["detail"])
    return body[:300].decode(errors="replace").strip()


def hint_for(probe: Probe, status: int | None, body: bytes, problem: str | None) -> str:
    """Empty when the call passed; else one sentence a person can act on."""
    if status is None:
        return f"no answer through the gateway: {problem}"
    if 200 <= status < 300:
        return "" if problem is None else f"{probe.client} would fail here: {problem}"
    message = error_message(body)
    said = f"({status}: {message[:200]})" if message else f"({status})"
    lowered = message.lower()
    for field, why in probe.notable.items():
        if field.lower() in lowered:
            return f"{why}; this engine rejected it {said}"
    if status == 404 and "model" in lowered:
        return f"the gateway does not route this model to a running instance {said}"
    if status == 404:
        return f"the engine does not serve {probe.path}: check the deployment's categories {said}"
    if status in (400, 422) and probe.notable:
        fields = ", ".join(f"`{f}`" for f in probe.notable)
        return f"the engine refused the request; {probe.client} sends {fields} {said}"
    if status == 503:
        return f"no instance is running or it is overloaded {said}"
    if status >= 500:
        return f"the engine failed on {probe.client}'s request {said}"
    return f"refused {said}"
