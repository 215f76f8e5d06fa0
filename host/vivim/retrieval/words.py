"""Words of user text: what full-text queries are built from and what the context engine compares.

User text never reaches FTS5 MATCH raw: every word is quoted, so `"`, `*`, `NEAR`, `-` and
parentheses are searched for, not obeyed.
"""

from __future__ import annotations

import re

WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_WORDS = 24
# Around the matched words of a snippet (control characters no captured text contains); clients
# turn them into <mark> (web app, popup) or **bold** (MCP).
MARK_START = "\u0002"
MARK_END = "\u0003"
STOP_WORDS = frozenset(
    "a an and are as at be but by can could did do does for from had has have how i if in into is it its"
    " me my no not of on or our so than that the their them then there these they this to was we were"
    " what when where which who why will with would you your".split()
)


def fts_query(text: str, *, prefix_last: bool = True) -> str | None:
    """A safe FTS5 query: every word quoted, all required, the last one as a prefix."""
    words = WORD.findall(text)[:MAX_QUERY_WORDS]
    if not words:
        return None
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    if prefix_last and len(words[-1]) >= 2:
        quoted[-1] += "*"
    return " ".join(quoted)


def fts_query_any(text: str, max_words: int = 16, stem_chars: int = 0) -> str | None:
    """A safe FTS5 query matching ANY informative word of a long text (a draft, a question).

    Stop words are left out: OR-ing them in makes FTS5 walk most of the index (~10x slower).
    With `stem_chars`, a longer word is asked for as a prefix of that many letters ("таблице" as
    "табли"*, meeting "таблица"), for languages whose words the embedding model does not know.
    """
    seen: dict[str, None] = {}
    for word in WORD.findall(text.lower()):
        if len(word) >= 2 and word not in STOP_WORDS:
            seen.setdefault(word, None)
        if len(seen) >= max_words:
            break
    if not seen:
        return None
    terms = dict.fromkeys(
        '"' + w[:stem_chars].replace('"', '""') + '"*'
        if stem_chars and len(w) > stem_chars
        else '"' + w.replace('"', '""') + '"'
        for w in seen
    )
    return " OR ".join(terms)


def informative_words(text: str) -> frozenset[str]:
    """The words of `text` that say something (lower-cased, no stop words, two letters or more)."""
    return frozenset(w for w in WORD.findall(text.lower()) if len(w) >= 2 and w not in STOP_WORDS)
