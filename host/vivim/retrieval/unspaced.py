"""Full-text search inside scripts written without spaces: Chinese, Japanese, Korean, Thai, Lao, Khmer, Burmese.

FTS5's unicode61 tokenizer keeps a whole unspaced run as one token, so a word in the middle of a
Japanese sentence ("東京タワーは高さ333メートル" holds 高さ) or a place inside a longer compound could
never be found. A second FTS5 index with the `trigram` tokenizer finds any substring of three or more
characters. It covers only the chunks that contain such scripts (a GLOB on the trigger keeps the rest
out): trigram postings cost ~3 bytes of index per character, so indexing all text would roughly
double the database, while the CJK part of a typical archive is small.

Queries: every run of those scripts in the query is a term.
- a term of 3+ characters is a trigram phrase (an exact substring match, ranked by BM25);
- a term of 1-2 characters (東京, 猫, หมา) is below what a trigram index can look up: it is checked with
  instr() over the chunks of the trigram index only (its %_docsize shadow table lists them), newest
  first, capped at SHORT_SCAN_ROWS rows so a single common character cannot scan forever;
- a long term that matches nowhere exactly (a question, "東京タワーの高さ", vs a text saying
  "東京タワーに...高さは") falls back to the chunks that share most of its bigrams (FUZZY_SHARE).
The ranking is fused with the unicode61 one in search.keyword_ranking, so search, context and every
client get it; snippets for these hits come from unspaced_snippet.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .backfill import PROGRESS_SCHEMA

if TYPE_CHECKING:
    from .filters import Filters

# Code point ranges of scripts written without spaces between words (and Hangul: Korean attaches
# particles to words, "서울에서", so a substring search helps there too).
RANGES = [
    ("\u0e00", "\u0eff"),  # Thai, Lao
    ("\u1000", "\u109f"),  # Myanmar
    ("\u1780", "\u17ff"),  # Khmer
    ("\u3040", "\u30ff"),  # Hiragana, Katakana
    ("\u3400", "\u4dbf"),  # CJK Extension A
    ("\u4e00", "\u9fff"),  # CJK Unified Ideographs
    ("\uac00", "\ud7af"),  # Hangul syllables
    ("\uf900", "\ufaff"),  # CJK Compatibility Ideographs
    ("\uff66", "\uff9f"),  # half-width Katakana
    ("\U00020000", "\U0002fa1f"),  # CJK Extensions B-F, compatibility supplement
]
_CLASS = "".join(f"{lo}-{hi}" for lo, hi in RANGES)
GLOB = f"*[{_CLASS}]*"  # SQLite's GLOB compares code points in ranges: usable in a trigger's WHEN
RUN = re.compile(f"[{_CLASS}]+")

RANK_CAP = 1000  # newest matches ranked by BM25 (see _ranked)
SHORT_SCAN_ROWS = 20000  # newest indexed chunks checked by instr() for a 1-2 character term
FUZZY_CANDIDATES = 300  # chunks sharing any trigram of a long term, re-checked for their share
FUZZY_SHARE = 0.6  # ... of which a chunk must contain this share of the term's (weighted) bigrams
DRAFT_SHARE = 0.4  # the same for a draft (context.build): long text, most of it is not the topic
SNIPPET_CHARS = 48

UNSPACED_SCHEMA = f"""
CREATE VIRTUAL TABLE chunks_unspaced USING fts5 (
    text,
    content = 'chunks',
    content_rowid = 'id',
    tokenize = 'trigram'
);
CREATE TRIGGER chunks_unspaced_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_unspaced (rowid, text) SELECT new.id, new.text WHERE new.text GLOB '{GLOB}';
END;
CREATE TRIGGER chunks_unspaced_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_unspaced (chunks_unspaced, rowid, text)
        SELECT 'delete', old.id, old.text WHERE old.text GLOB '{GLOB}';
END;
CREATE TRIGGER chunks_unspaced_update AFTER UPDATE OF text ON chunks BEGIN
    INSERT INTO chunks_unspaced (chunks_unspaced, rowid, text)
        SELECT 'delete', old.id, old.text WHERE old.text GLOB '{GLOB}';
    INSERT INTO chunks_unspaced (rowid, text) SELECT new.id, new.text WHERE new.text GLOB '{GLOB}';
END;
INSERT INTO chunks_unspaced (rowid, text) SELECT id, text FROM chunks WHERE text GLOB '{GLOB}';
"""

# Migration 7 (store/migrations.py) also creates the backfill's progress row.
MIGRATION_7 = UNSPACED_SCHEMA + PROGRESS_SCHEMA


def query_terms(query: str) -> list[str]:
    """The query's runs of unspaced scripts, in order, without repeats."""
    return list(dict.fromkeys(RUN.findall(query)))


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _trigrams(term: str) -> list[str]:
    return list(dict.fromkeys(term[i : i + 3] for i in range(len(term) - 2)))


def _ranked(conn: Any, match: str, limit: int) -> list[int]:
    """BM25 order over the newest RANK_CAP matches: FTS5 scores every match before sorting, and a
    common word in a CJK-heavy archive matches thousands of chunks (32 ms -> ~3 ms at 5,000 of them)."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT rowid FROM (SELECT rowid, rank FROM chunks_unspaced WHERE chunks_unspaced MATCH ?"
            " ORDER BY rowid DESC LIMIT ?) ORDER BY rank LIMIT ?",
            (match, RANK_CAP, limit),
        )
    ]


def _containing(conn: Any, terms: list[str], limit: int, *, every: bool) -> list[int]:
    """Chunk ids holding every (or any) term as a substring: BM25 order where the trigram index can
    look terms up, newest first where only short terms are given."""
    long_terms = [t for t in terms if len(t) >= 3]
    short_terms = [t for t in terms if len(t) < 3]
    if every and long_terms:
        match = " AND ".join(_phrase(t) for t in long_terms)
        if not short_terms:
            return _ranked(conn, match, limit)
        checks = " AND ".join("instr(c.text, ?) > 0" for _ in short_terms)
        return [
            r[0]
            for r in conn.execute(
                "SELECT f.rowid FROM chunks_unspaced f JOIN chunks c ON c.id = f.rowid"
                f" WHERE chunks_unspaced MATCH ? AND {checks} ORDER BY f.rank LIMIT ?",
                (match, *short_terms, limit),
            )
        ]
    ranked: list[int] = []
    if long_terms:  # any term: the long ones through the index
        match = " OR ".join(_phrase(t) for t in long_terms)
        ranked = _ranked(conn, match, limit)
    if short_terms and len(ranked) < limit:
        joiner = " AND " if every else " OR "
        checks = joiner.join("instr(c.text, ?) > 0" for _ in short_terms)
        seen = set(ranked)
        rows = conn.execute(
            "SELECT c.id FROM (SELECT id FROM chunks_unspaced_docsize ORDER BY id DESC LIMIT ?) d"
            f" JOIN chunks c ON c.id = d.id WHERE {checks} LIMIT ?",
            (SHORT_SCAN_ROWS, *short_terms, limit),
        ).fetchall()
        ranked += [r[0] for r in rows if r[0] not in seen]
    return ranked[:limit]


def _pair_weight(pair: str) -> float:
    """Hiragana-only pairs are mostly grammar (について, です, ます): they count a fifth of a content pair."""
    return 0.2 if all("\u3040" <= ch <= "\u309f" for ch in pair) else 1.0


def _fuzzy(conn: Any, term: str, limit: int, share: float = FUZZY_SHARE) -> list[int]:
    """Chunks that contain most character pairs of a long term, by how many they contain (then BM25).

    Candidates share at least one trigram with the term (the index can find those); they are then
    scored by bigrams, because CJK words are mostly two characters long: "東京タワーの高さ" against
    "東京タワーに...高さは" shares 3 of 6 trigrams but 5 of 7 bigrams (grammar pairs weigh less)."""
    grams = _trigrams(term)
    pairs = list(dict.fromkeys(term[i : i + 2] for i in range(len(term) - 1)))
    if len(grams) < 2:
        return []
    rows = conn.execute(
        "SELECT f.rowid, c.text FROM chunks_unspaced f JOIN chunks c ON c.id = f.rowid"
        " WHERE chunks_unspaced MATCH ? ORDER BY f.rank LIMIT ?",
        (" OR ".join(_phrase(g) for g in grams), FUZZY_CANDIDATES),
    ).fetchall()
    total = sum(_pair_weight(p) for p in pairs)
    scored = []
    for order, (rowid, text) in enumerate(rows):
        got = sum(_pair_weight(p) for p in pairs if p in text) / total
        if got >= share:
            scored.append((-got, order, rowid))
    return [rowid for _, _, rowid in sorted(scored)[:limit]]


def unspaced_ranking(
    conn: Any, query: str, filters: Filters | None = None, limit: int = 60, *, any_terms: bool = False
) -> list[int]:
    """Chunk ids for the query's unspaced-script terms, best first ([] when it has none): chunks
    holding every term, then (fewer than `limit`) any term, then near matches of long terms."""
    terms = query_terms(query)
    if not terms:
        return []
    fetch = limit if filters is None or filters.unfiltered else limit * 5
    ranked = [] if any_terms else _containing(conn, terms, fetch, every=True)
    if len(ranked) < fetch and (any_terms or len(terms) > 1):
        seen = set(ranked)
        ranked += [i for i in _containing(conn, terms, fetch, every=False) if i not in seen]
    if len(ranked) < fetch:
        seen = set(ranked)
        for term in terms:
            if len(term) >= 4:
                near = _fuzzy(conn, term, fetch, DRAFT_SHARE if any_terms else FUZZY_SHARE)
                ranked += [i for i in near if i not in seen]
                seen.update(ranked)
    if filters is not None and not filters.unfiltered:
        passing = filters.passing(conn, ranked)
        ranked = [i for i in ranked if i in passing]
    return ranked[:limit]


def fuse(unspaced: list[int], ranked: list[int], k: int = 60) -> list[int]:
    """Reciprocal-rank fusion of the trigram ranking with the unicode61 one (chunks in both first)."""
    if not unspaced:
        return ranked
    scores: dict[int, float] = {}
    for ranking in (unspaced, ranked):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return [item for item, _ in sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))]


def unspaced_snippet(text: str, query: str, chars: int = SNIPPET_CHARS) -> str | None:
    """A window of `chars` characters around the first query term found in text, terms marked;
    None when no term occurs (the caller falls back to its word-based snippet)."""
    from .words import MARK_END, MARK_START

    terms = sorted(query_terms(query), key=len, reverse=True)
    spans = []
    for term in terms:
        start = text.find(term)
        while start >= 0:
            spans.append((start, start + len(term)))
            start = text.find(term, start + len(term))
    if not spans:
        for term in terms:  # a near match: mark the trigrams it shares
            for gram in _trigrams(term):
                start = text.find(gram)
                if start >= 0:
                    spans.append((start, start + 3))
    if not spans:
        return None
    spans.sort()
    first = spans[0][0]
    begin = max(0, first - chars // 4)
    end = min(len(text), begin + chars)
    merged: list[list[int]] = []
    for s, e in spans:
        if s < begin or e > end:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, at = [], begin
    for s, e in merged:
        out += [text[at:s], MARK_START, text[s:e], MARK_END]
        at = e
    out.append(text[at:end])
    body = " ".join("".join(out).split())
    return ("…" if begin > 0 else "") + body + ("…" if end < len(text) else "")
