"""A turn's rendering-insensitive fingerprint: what the page's DOM and the page's own JSON agree on.

On sites whose page gives turns no ids (DeepSeek, Copilot, AI Studio...), the DOM capture (text read
from the rendered page) and the network capture (the Markdown the site's JSON holds) meet only by their
text. The two renderings of one answer differ in markup, not in words: `\\(x_1\\)` against `$x_1$`, a
table's pipes against its cells, a fenced block's language tag, a link's URL, a citation marker, a list's
numbers, NBSP, emoji. The fingerprint keeps only what both renderings share: the letters and digits of
the words (NFKC, casefolded), with TeX command names, links (a citation is a number in one rendering and
a site's name in the other), URLs, fence tags, citation markers and list markers dropped. Stored with each message (indexed per conversation), so matching a turn is
one index probe, never a scan of the conversation.

A fingerprint says "probably the same words"; store/capture.py decides with it only together with the
role, the other source and the turn's place (parent, what this upsert already matched).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from typing import Any

# A link or an image as a whole: a citation is "[1](url)" in the JSON but a chip naming the site
# ("[wikipedia](url)") on the page; both renderings of a turn are Markdown, so links drop out of both.
_MARKDOWN_LINK = re.compile(r"!?\[[^\]\n]{0,300}\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_URL = re.compile(r"(?:https?|ftp)://\S+|www\.\S+", re.IGNORECASE)
_CITATION = re.compile(r"\[(?:citation:|cite:|\^)?\d{1,3}\]|【[^】]{0,80}】|\[\d{1,3}(?:\s*,\s*\d{1,3})+\]")
_FENCE = re.compile(r"^[ \t]*(?:```|~~~)[^\n]*$", re.MULTILINE)
_LIST_MARKER = re.compile(r"^[ \t>]*(?:\d{1,4}[.)]|[-*+•◦▪])[ \t]+", re.MULTILINE)
_TEX_COMMAND = re.compile(r"\\[A-Za-z]+")
_NOT_WORD = re.compile(r"[\W_]+")

# Words enough that the same ones twice in one conversation are one turn, not a reply repeated
# elsewhere ("Yes.", "Thanks!"): such a turn matches whatever its place.
LONG_WORDS = 40


def words(text: str) -> str:
    """The letters and digits both renderings of a turn share, in order (casefolded, NFKC)."""
    text = unicodedata.normalize("NFKC", text)
    text = _MARKDOWN_LINK.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _CITATION.sub(" ", text)
    text = _FENCE.sub(" ", text)
    text = _LIST_MARKER.sub(" ", text)
    text = _TEX_COMMAND.sub(" ", text)
    return _NOT_WORD.sub("", text.casefold())


def fingerprint(role: str, text: str) -> str | None:
    """The stored fingerprint of a turn, or None when it has no words (an emoji, a lone code symbol):
    such a turn is only ever matched by its exact text."""
    return of_words(role, words(text))


def of_words(role: str, letters: str) -> str | None:
    if not letters:
        return None
    return hashlib.sha256(f"{role}\x00{letters}".encode()).hexdigest()[:32]


@dataclass
class TurnWords:
    """One incoming turn's words and fingerprint, worked out at most once and only when asked: most
    turns of a re-opened conversation match by key and never need them."""

    role: str
    markdown: str

    @cached_property
    def letters(self) -> str:
        return words(self.markdown)

    @cached_property
    def print(self) -> str | None:
        return of_words(self.role, self.letters)

    @property
    def long(self) -> bool:
        return len(self.letters) >= LONG_WORDS


# Migration 30: the column, its per-conversation index, and every stored message's fingerprint.
SCHEMA = """
ALTER TABLE messages ADD COLUMN fingerprint TEXT;
CREATE INDEX messages_conversation_fingerprint ON messages (conversation_id, fingerprint);
"""


def add_fingerprints(conn: Any) -> None:
    from .sqlscript import script

    script(SCHEMA)(conn)
    last = 0
    while True:  # in batches: a store of years of conversations never sits in memory at once
        rows = conn.execute(
            "SELECT id, role, markdown FROM messages WHERE id > ? ORDER BY id LIMIT 2000", (last,)
        ).fetchall()
        if not rows:
            return
        conn.executemany(
            "UPDATE messages SET fingerprint = ? WHERE id = ?",
            [(fingerprint(r[1], r[2]), r[0]) for r in rows],
        )
        last = rows[-1][0]
