"""The multilingual space: multilingual-e5-small vectors for the chunks the English model cannot read.

all-MiniLM-L6-v2 gives every chunk its vector, but it knows English: a Russian, Japanese or German
chunk lands near every other text in its script, so a paraphrased question in that language, or an
English question about it, mostly misses (bench/search_quality.py: same-language non-English
recall@5 0.927, cross-lingual 0.29 on the held-out split). Such chunks (`needs_vector`) also get a
vector from multilingual-e5-small (vivim.retrieval.multilingual_model), one space for ~100
languages, and every query with meaning search and an informative word is also embedded there
(~5 ms) and ranked against them, behind its own floor (relevance.MULTILINGUAL), as part of search's
one meaning list.

`chunk_multilingual` has a row for every chunk the worker has looked at: the e5 vector (float16), or
NULL for a chunk that does not need one (English): so "pending" is simply "no row", and a chunk is
classified once. The rows follow their chunk through triggers, as the other vector tables do. The
scan is vivim.retrieval.vector_table's (exact; an in-memory snapshot for big tables).

English-only archives never load the model: nothing needs a vector, so no query is embedded there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .vector_table import VectorTable

if TYPE_CHECKING:
    import numpy as np

    from ..store.connection import Connection  # only for annotations: the store imports this module
    from .filters import Filters

SCHEMA = """
CREATE TABLE chunk_multilingual (
    chunk_id INTEGER PRIMARY KEY,
    vector BLOB
);
-- the chunks that have a vector: "is there any" and the count answer from this, not from a scan
-- of an English archive's empty rows (every search asks)
CREATE INDEX chunk_multilingual_with_vector ON chunk_multilingual (chunk_id) WHERE vector IS NOT NULL;
CREATE TRIGGER chunk_multilingual_delete AFTER DELETE ON chunks BEGIN
    DELETE FROM chunk_multilingual WHERE chunk_id = old.id;
END;
CREATE TRIGGER chunk_multilingual_text_update AFTER UPDATE OF text ON chunks BEGIN
    DELETE FROM chunk_multilingual WHERE chunk_id = old.id;
END;
"""

# Vectors made while the model read only a text's first 256 tokens (multilingual_model.MAX_TOKENS is
# now the model's 510): a chunk of more than 250 characters may have been cut (a character is at
# most one token, "passage: " two more), so it is looked at again; and so is a chunk judged English
# that holds letters of another script (U+0370 on), which OTHER_SCRIPT_LETTERS may now give a vector.
REREAD_LONG_CHUNKS = """
DELETE FROM chunk_multilingual
WHERE vector IS NOT NULL AND chunk_id IN (SELECT id FROM chunks WHERE length(text) > 250);
DELETE FROM chunk_multilingual
WHERE vector IS NULL AND chunk_id IN (SELECT id FROM chunks WHERE text GLOB '*[Ͱ-￿]*');
"""

TABLE = VectorTable("chunk_multilingual")
# Chunks looked at and written per transaction. The worker alternates these windows with MiniLM's
# (backfill.WINDOW, 64 chunks, ~1.7 s on one core): 128 non-English chunks are ~2.7 s of e5 (~48 a
# second), so through a backlog of other-language chats e5, what finds them, gets ~60% of the
# worker's time, and a live capture waits at most one such window for its MiniLM vector.
WINDOW = 128

# What "needs a vector" means: the chunk is mostly not English, or holds a fair amount of another
# script. Four signs, any one suffices:
# - words of another script (Cyrillic, CJK, Arabic...);
# - OTHER_SCRIPT_LETTERS letters of another script, whatever the share: an English explanation of
#   Japanese grammar full of examples ("私は学生です means 'I am a student'") has few such "words"
#   (an unspaced run counts as one) but is what a question in Japanese about it should find;
# - function words of another language ("der", "und", "el", "para", "dans": vivim.retrieval.words):
#   English text has almost none (at most 0.067 of its words on bench/quality's English chunks,
#   German, Spanish, Italian, Portuguese and French ones 0.118-0.36);
# - Latin-script content words the English model's vocabulary does not hold whole (a language
#   whose function words are not listed, e.g. Polish: 0.92-0.98 of them; English chunks at most
#   0.5, technical ones with names and identifiers: "localStorage", "PKCE").
OTHER_SCRIPT_SHARE = 0.15
OTHER_SCRIPT_LETTERS = 10
FOREIGN_FUNCTION_SHARE = 0.10
UNKNOWN_SHARE = 0.6
MIN_CONTENT_WORDS = 5  # fewer Latin content words than this say too little to judge by vocabulary
SAMPLE_WORDS = 400  # words looked at per chunk
_WORD = re.compile(r"[^\W\d_]{2,}")
_LATIN = re.compile(r"^[\x00-\u024f\u1e00-\u1eff]*$")


def needs_vector(text: str) -> bool:
    """Whether this chunk's text is mostly not English (see the thresholds above)."""
    from .relevance import vocabulary
    from .words import FOREIGN_FUNCTION_WORDS, STOP_WORDS

    words = _WORD.findall(text.lower())[:SAMPLE_WORDS]
    if not words:
        return False
    latin = [w for w in words if _LATIN.match(w)]
    other = [w for w in words if not _LATIN.match(w)]
    if len(other) / len(words) >= OTHER_SCRIPT_SHARE or sum(map(len, other)) >= OTHER_SCRIPT_LETTERS:
        return True
    if sum(1 for w in latin if w in FOREIGN_FUNCTION_WORDS) / len(words) >= FOREIGN_FUNCTION_SHARE:
        return True
    known_words = vocabulary()
    content = [w for w in latin if len(w) >= 3 and w not in STOP_WORDS]
    if known_words is None or len(content) < MIN_CONTENT_WORDS:
        return False
    return sum(1 for w in content if w not in known_words) / len(content) >= UNKNOWN_SHARE


def needing(texts: Sequence[str]) -> list[int]:
    """The positions of the texts (one window) that need a multilingual vector."""
    return [i for i, text in enumerate(texts) if needs_vector(text)]


def placed(count: int, needed: Sequence[int], found: Any) -> list[Any]:
    """One entry per text of the window: its vector where one was made, else None (looked at, needs
    none): what store() writes."""
    vectors: list[Any] = [None] * count
    for row, i in enumerate(needed):
        vectors[i] = found[row]
    return vectors


def pending(conn: Connection, limit: int = WINDOW, after: int = 0) -> list[tuple[int, str]]:
    """Chunks not looked at yet, by id from `after` on (the caller walks forward: no rescans)."""
    rows = conn.execute(
        "SELECT id, text FROM chunks ch WHERE id > ? AND NOT EXISTS"
        " (SELECT 1 FROM chunk_multilingual m WHERE m.chunk_id = ch.id) ORDER BY id LIMIT ?",
        (after, limit),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def not_looked_at(conn: Connection, chunk_ids: Sequence[int]) -> list[int]:
    """Those of these chunks that have no row yet (a few ids: the worker's check behind its walk)."""
    if not chunk_ids:
        return []
    marks = ",".join("?" * len(chunk_ids))
    rows = conn.execute(
        f"SELECT id FROM chunks ch WHERE id IN ({marks}) AND NOT EXISTS"
        " (SELECT 1 FROM chunk_multilingual m WHERE m.chunk_id = ch.id)",
        list(chunk_ids),
    ).fetchall()
    return [r[0] for r in rows]


def store(conn: Connection, chunk_ids: Sequence[int], texts: Sequence[str], vectors: Sequence[Any]) -> int:
    """Write each chunk's vector (None: looked at, needs none) if it still holds that text."""
    import numpy as np

    if not chunk_ids:
        return 0
    marks = ",".join("?" * len(chunk_ids))
    current = {
        r[0]: r[1]
        for r in conn.execute(f"SELECT id, text FROM chunks WHERE id IN ({marks})", list(chunk_ids))
    }
    rows = [
        (chunk_id, None if vector is None else np.asarray(vector, dtype=np.float16).tobytes())
        for chunk_id, text, vector in zip(chunk_ids, texts, vectors)
        if current.get(chunk_id) == text
    ]
    conn.executemany("INSERT OR REPLACE INTO chunk_multilingual (chunk_id, vector) VALUES (?, ?)", rows)
    return sum(1 for _, blob in rows if blob is not None)


def counts(conn: Connection) -> dict[str, int]:
    """Chunks looked at, chunks with a vector, chunks still to look at."""
    total = int(conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
    looked = conn.execute("SELECT COUNT(*) FROM chunk_multilingual").fetchone()[0]
    return {"looked_at": int(looked), "vectors": TABLE.count(conn), "pending": max(0, total - int(looked))}


def below(conn: Connection, query: np.ndarray, chunk_ids: list[int], cosine: float) -> set[int]:
    """Those of the chunks that have a multilingual vector, and whose cosine to the query there is
    below `cosine`."""
    import numpy as np

    return {
        cid
        for cid, cos in TABLE.cosines(conn, np.asarray(query, dtype=np.float32), chunk_ids)
        if cos < cosine
    }


def has_any(conn: Connection) -> bool:
    return TABLE.has_any(conn)


def knn(
    conn: Connection, query: np.ndarray, k: int, filters: Filters | None = None
) -> list[tuple[int, float]]:
    return TABLE.knn(conn, query, k, filters)


MIN_LONE_WORD = 4  # letters a query's only informative word needs to be looked for in this space


def query_vector(conn: Connection, query: str) -> Any:
    """The query in the multilingual space, when some chunks live there and the model is ready or
    quick to load (its graph already built); else None and the load starts in the background.

    None too for a query without an informative word (punctuation, stop words, an emoji), or whose
    only one is shorter than MIN_LONE_WORD letters ("ok", "db"): e5 puts such a query at cosine ~0.83
    from every text, over the sure floor ("???" found four unrelated conversations, "ok" sat at
    0.831), and there is no meaning in it to look for. A word of an unspaced script is a phrase."""
    from . import multilingual_model
    from .words import UNSPACED, content_words

    words = content_words(query)
    if len(words) == 1 and len(words[0]) < MIN_LONE_WORD and not UNSPACED.search(words[0]):
        return None
    if not words or not has_any(conn):
        return None
    embedder = multilingual_model.get_multilingual_embedder()
    if not embedder.loaded:
        if embedder.error or not multilingual_model.ready_to_load():
            multilingual_model.load_in_background()
            return None
    try:
        return embedder.embed_query(query)
    except Exception:  # noqa: BLE001 - answer without this space (the error is in embedder.error)
        return None
