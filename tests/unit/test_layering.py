"""The package layering holds: lower layers never import higher ones (docs/architecture.md).

engines, sources, config → schemas → db → server | worker → embedded worker → launcher →
cli. Every import
counts, also those inside functions; server and worker never import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "gpustack"

# Each top-level module or package of gpustack with its layer; an import may only go down.
LAYERS: dict[str, int] = {
    "gpustack": 0,  # the package itself: __version__
    "engines": 0,
    "sources": 0,
    "config": 0,
    "data_dir": 0,
    "schemas": 1,
    "db": 2,
    "server": 3,
    "worker": 3,
    "embedded_worker": 4,
    "launcher": 5,
    "cli": 6,
    "__main__": 7,
}


def part_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every `gpustack…` module `path` imports, relative imports resolved."""
    package = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = package[:-1]  # the package a module (or an __init__) belongs to
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = package[: len(package) - node.level + 1]
            found.append((node.lineno, ".".join([*base, *([node.module] if node.module else [])])))
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] == "gpustack"]


def test_every_top_level_part_has_a_layer() -> None:
    parts = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    parts |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert parts - LAYERS.keys() == set(), "add new top-level modules to LAYERS"


def test_no_module_imports_a_higher_layer() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        source = part_of(".".join(relative.parts))
        for line, target_module in imports_of(path):
            target = part_of(target_module)
            if target == source:
                continue
            if LAYERS[target] >= LAYERS[source] and source != "gpustack":
                wrong.append(f"{relative}.py:{line} imports {target_module}")
    assert wrong == [], "imports against the layering:\n" + "\n".join(wrong)
