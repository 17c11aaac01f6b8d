"""The paths the gateway is mounted at, spelled once for every module that routes by them."""

from __future__ import annotations

from .asgi import Scope

# `/v1-openai` is the same API under the prefix older clients were configured with.
PREFIXES = ("/v1", "/v1-openai")
# Each prefix with its trailing slash: what a path below a mount point starts with.
PREFIX_DIRS = tuple(prefix + "/" for prefix in PREFIXES)


def route_path(scope: Scope) -> str:
    """The path below the mount point (`/chat/completions`), also when served standalone."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    for directory in PREFIX_DIRS:
        if path.startswith(directory):
            return path[len(directory) - 1 :]
    return path
