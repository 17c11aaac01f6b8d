"""Code blocks of the Markdown guides, so that tests can run what the docs tell users to run.

Fences tagged `bash` or `python` are runnable; any other tag (`console` for docker commands,
`yaml`, `json`, `text`) is shown to readers and never executed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

RUNNABLE = frozenset({"bash", "python"})


@dataclass(frozen=True)
class Snippet:
    """One fenced code block: where it is, its language tag and its text."""

    path: Path
    line: int
    lang: str
    code: str

    @property
    def runnable(self) -> bool:
        return self.lang in RUNNABLE

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"

    def substituted(self, placeholders: Mapping[str, str]) -> str:
        """The code with each placeholder replaced (longest placeholder first)."""
        code = self.code
        for placeholder in sorted(placeholders, key=len, reverse=True):
            code = code.replace(placeholder, placeholders[placeholder])
        return code


def snippets(path: Path) -> list[Snippet]:
    """Every fenced block of a Markdown file, in order, with its 1-based line number."""
    tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
    out = []
    for token in tokens:
        if token.type != "fence":
            continue
        lang = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
        line = token.map[0] + 1 if token.map else 0
        out.append(Snippet(path, line, lang, token.content))
    return out
