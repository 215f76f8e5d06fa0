"""Split a message's Markdown into pieces sized for search and the embedding model.

The embedding model reads at most 256 tokens (~1,000 characters of English); a chunk a bit
under that keeps its meaning whole. Fenced code blocks are kept in one piece where they fit,
because half a function is a poor search hit.
"""

from __future__ import annotations

import re

TARGET_CHARS = 900
MAX_CHARS = 1600

_FENCE = re.compile(r"^(```|~~~)")


def _blocks(markdown: str) -> list[str]:
    """Paragraphs and whole fenced code blocks, in order."""
    blocks: list[str] = []
    current: list[str] = []
    in_fence = False
    for line in markdown.splitlines():
        if _FENCE.match(line.strip()):
            if not in_fence and current:
                blocks.append("\n".join(current))
                current = []
            current.append(line)
            if in_fence:
                blocks.append("\n".join(current))
                current = []
            in_fence = not in_fence
            continue
        if not in_fence and not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return [b for b in blocks if b.strip()]


def _split_long(block: str) -> list[str]:
    pieces: list[str] = []
    lines = block.splitlines() or [block]
    current = ""
    for line in lines:
        while len(line) > MAX_CHARS:
            cut = line.rfind(" ", 0, MAX_CHARS)
            cut = cut if cut > MAX_CHARS // 2 else MAX_CHARS
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:cut])
            line = line[cut:].lstrip()
        if current and len(current) + len(line) + 1 > TARGET_CHARS:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        pieces.append(current)
    return pieces


def chunk_markdown(markdown: str) -> list[str]:
    chunks: list[str] = []
    current = ""
    for block in _blocks(markdown):
        if len(block) > MAX_CHARS:
            if current:
                chunks.append(current)
                current = ""
            chunks.extend(_split_long(block))
            continue
        if current and len(current) + len(block) + 2 > TARGET_CHARS:
            chunks.append(current)
            current = block
        else:
            current = f"{current}\n\n{block}" if current else block
    if current:
        chunks.append(current)
    return chunks
