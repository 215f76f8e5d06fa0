"""Split a message's Markdown into pieces sized for search and the embedding model.

The embedding model reads at most 256 tokens (~1,000 characters of English prose; code runs
~3 characters a token); a chunk a bit under that keeps its meaning whole and fully embedded.
Prose is packed to ~TARGET_CHARS and a long paragraph is cut at MAX_CHARS (~200 tokens of prose, ~250 of dense technical text), at a
sentence or word boundary. Fenced code blocks are kept in one piece up to MAX_CODE_CHARS, because
half a function is a poor search hit: full-text search sees all of it, the vector its first 256
tokens (the signature and the start, usually what it is about).
"""

from __future__ import annotations

import re

TARGET_CHARS = 700
MAX_CHARS = 820
MAX_CODE_CHARS = 1600

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


_SENTENCE_END = re.compile(r"[.!?;:](?=\s)")


def _cut_point(line: str, limit: int) -> int:
    """Where to cut a too-long line: the last sentence end before limit, else the last space."""
    ends = [m.end() for m in _SENTENCE_END.finditer(line, 0, limit)]
    if ends and ends[-1] > limit // 2:
        return ends[-1]
    cut = line.rfind(" ", 0, limit)
    return cut if cut > limit // 2 else limit


def _is_code(block: str) -> bool:
    return bool(_FENCE.match(block.lstrip()))


def _split_long(block: str) -> list[str]:
    pieces: list[str] = []
    lines = block.splitlines() or [block]
    current = ""
    for line in lines:
        while len(line) > MAX_CHARS:
            cut = _cut_point(line, MAX_CHARS)
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
        if len(block) > (MAX_CODE_CHARS if _is_code(block) else MAX_CHARS):
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
