#!/usr/bin/env python3
"""Rewrite imports of modules that moved in the house layout (see CHANGELOG.md, "Layout").

Used once to move the modules, and kept for merging branches that were written against the old
layout: `python .ci/relayout.py FILE...` rewrites, in place, every `vivim.<old>` reference
(absolute imports, dotted strings such as service names or monkeypatch targets) and every relative
import inside host/vivim/ (resolved against the file's old location, re-relativised against its new
one). A relative `from . import name` whose module changed its leaf name is reported, not guessed.
Delete this file once no branch predates the layout.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# old module -> new module (a package maps its submodules unless they are listed themselves).
MOVES: dict[str, str] = {
    "vivim.search": "vivim.retrieval.search",
    "vivim.vectors": "vivim.retrieval.vectors",
    "vivim.bit_index": "vivim.retrieval.bit_index",
    "vivim.chunking": "vivim.retrieval.chunking",
    "vivim.context": "vivim.retrieval.prompt_context",
    "vivim.embed": "vivim.retrieval.embedding",
    "vivim.embed_worker": "vivim.retrieval.worker",
    "vivim.reindex": "vivim.retrieval.reindex",
    "vivim.crypto": "vivim.sync.crypto",
    "vivim.api": "vivim.handlers",
    "vivim.api.core": "vivim.handlers.capture",
    "vivim.api.search": "vivim.handlers.retrieval",
    "vivim.web.api": "vivim.web.routes",
    "vivim.cli.core": "vivim.cli.search",
    # modules that features added on the old layout (capture #11, mcp #15, search #12)
    "vivim.relevance": "vivim.retrieval.relevance",
    "vivim.index_status": "vivim.retrieval.index_status",
    "vivim.unspaced": "vivim.retrieval.unspaced",
    "vivim.backfill": "vivim.retrieval.backfill",
    "vivim.quantize": "vivim.retrieval.quantize",
    "vivim.netcapture": "vivim.importers.network",
    "vivim.agent_watcher": "vivim.importers.agent_watcher",
    "vivim.api.network": "vivim.handlers.network",
}

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_ROOT = ROOT / "host"


def moved(module: str) -> str:
    """The new name of `module` (longest listed prefix wins)."""
    parts = module.split(".")
    for cut in range(len(parts), 0, -1):
        head = ".".join(parts[:cut])
        if head in MOVES:
            return ".".join([MOVES[head], *parts[cut:]])
    return module


def module_of(path: Path) -> tuple[str, bool]:
    rel = path.resolve().relative_to(PACKAGE_ROOT).with_suffix("")
    parts = list(rel.parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def package_of(module: str, is_package: bool) -> list[str]:
    parts = module.split(".")
    return parts if is_package else parts[:-1]


def relative(target: str, package: list[str]) -> tuple[str, str]:
    """`from <dots+rest> import ...` reaching absolute `target` from inside `package`."""
    parts = target.split(".")
    common = 0
    while common < min(len(parts), len(package)) and parts[common] == package[common]:
        common += 1
    level = len(package) - common + 1
    return "." * level, ".".join(parts[common:])


FROM_RELATIVE = re.compile(r"^(\s*)from (\.+)([\w.]*) import (.*)$")
FROM_ABSOLUTE = re.compile(r"^(\s*)from (vivim(?:\.\w+)*) import (?!\()(.*)$")
DOTTED = re.compile(r"(?<![\w.])(vivim(?:\.\w+)+)")


def rewrite_relative(line: str, old_package: list[str], new_package: list[str], where: str) -> str:
    match = FROM_RELATIVE.match(line)
    if not match:
        return line
    indent, dots, rest, names = match.groups()
    base = old_package[: len(old_package) - (len(dots) - 1)]
    source = ".".join([*base, rest]) if rest else ".".join(base)
    if rest:
        lead, tail = relative(moved(source), new_package)
        return f"{indent}from {lead}{tail} import {names}"
    # `from <package> import a, b`: each name may be a module that moved on its own.
    if names.strip().startswith("("):
        lead, tail = relative(moved(source), new_package)
        return f"{indent}from {lead}{tail} import {names}"
    lines = []
    groups: dict[str, list[str]] = {}
    comment = ""
    if "#" in names:
        names, comment = names.split("#", 1)
        comment = "  #" + comment
    for item in [n.strip() for n in names.split(",") if n.strip()]:
        name, _, alias = item.partition(" as ")
        full = f"{source}.{name.strip()}"
        new_full = moved(full)
        if new_full != full:
            parent, _, leaf = new_full.rpartition(".")
            if leaf != name.strip():
                print(f"{where}: `{item}` is now {new_full}; fix its uses by hand", file=sys.stderr)
            groups.setdefault(parent, []).append(leaf + (f" as {alias.strip()}" if alias else ""))
        else:
            groups.setdefault(moved(source), []).append(item)
    for parent, items in groups.items():
        lead, tail = relative(parent, new_package)
        lines.append(f"{indent}from {lead}{tail} import {', '.join(items)}")
    lines[-1] += comment
    return "\n".join(lines)


def rewrite_absolute(line: str, where: str) -> str:
    """`from vivim[.pkg] import module` where the module moved on its own."""
    match = FROM_ABSOLUTE.match(line)
    if not match:
        return line
    indent, source, names = match.groups()
    comment = ""
    if "#" in names:
        names, comment = names.split("#", 1)
        comment = "  #" + comment
    groups: dict[str, list[str]] = {}
    for item in [n.strip() for n in names.split(",") if n.strip()]:
        name, _, alias = item.partition(" as ")
        full = f"{source}.{name.strip()}"
        new_full = moved(full)
        if new_full != full:
            parent, _, leaf = new_full.rpartition(".")
            if leaf != name.strip():
                print(f"{where}: `{item}` is now {new_full}; fix its uses by hand", file=sys.stderr)
            groups.setdefault(parent, []).append(leaf + (f" as {alias.strip()}" if alias else ""))
        else:
            groups.setdefault(moved(source), []).append(item)
    lines = [f"{indent}from {parent} import {', '.join(items)}" for parent, items in groups.items()]
    lines[-1] += comment
    return "\n".join(lines)


def rewrite_file(path: Path, old_module: str | None = None) -> bool:
    """Rewrite `path` in place; `old_module` is its module name before the move (host files only)."""
    text = path.read_text()
    out = []
    inside = path.suffix == ".py" and PACKAGE_ROOT in path.resolve().parents
    if inside:
        new_module, is_package = module_of(path)
        old = old_module or new_module
        old_package = package_of(old, is_package)
        new_package = package_of(new_module, is_package)
    for line in text.splitlines(keepends=True):
        body, newline = (line[:-1], "\n") if line.endswith("\n") else (line, "")
        if inside:
            body = rewrite_relative(body, old_package, new_package, str(path))
        body = rewrite_absolute(body, str(path))
        body = DOTTED.sub(lambda m: moved(m.group(1)), body)
        out.append(body + newline)
    new_text = "".join(out)
    if new_text != text:
        path.write_text(new_text)
        return True
    return False


def main(argv: list[str]) -> int:
    """`relayout.py FILE...` for files that did not move; `relayout.py --moved FILE...` for files
    under host/vivim/ that did (their relative imports are resolved against their old module)."""
    reverse = {new: old for old, new in MOVES.items()}
    was_moved = argv[:1] == ["--moved"]
    for name in argv[1:] if was_moved else argv:
        old = None
        if was_moved:
            module, _ = module_of(Path(name))
            parts = module.split(".")
            for cut in range(len(parts), 0, -1):
                if ".".join(parts[:cut]) in reverse:
                    old = ".".join([reverse[".".join(parts[:cut])], *parts[cut:]])
                    break
        if rewrite_file(Path(name), old):
            print(f"rewrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
