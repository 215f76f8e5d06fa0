"""Search over everything captured: full-text (FTS5 BM25) now, fused with vectors when present.

User text never reaches MATCH raw: every word is quoted, so `"`, `*`, `NEAR`, `-` and
parentheses are searched for, not obeyed. The last word is a prefix, for search as you type.
Snippets mark hits with U+0002 ... U+0003 so clients can highlight without parsing HTML.

Hybrid search fuses two ranked lists of chunks by reciprocal rank (score = sum of 1/(60 + rank)):
BM25 over FTS5 and the nearest vectors (vivim.retrieval.vectors). Only the fused top of the list is joined
to messages and conversations. Without a query vector (model not loaded yet, or nothing embedded
yet) the same code answers from full text alone and says mode "fulltext".

A relevance floor (vivim.retrieval.relevance) keeps noise out of both lists before they are fused: a vector
hit needs a high enough cosine (or a fair one plus some of the query's words), a full-text hit most
of the query's informative words weighted by rarity, so "how to make a good recipe" does not match
every chunk that says "make". The full-text side asks for every word first and, when that finds
few, for any informative word (then floored), beside vectors too. What clears neither floor is left
out, and an empty answer is a real answer ("no close matches"). Each hit says how close it is:
"strong" or "weak".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ..store.connection import Connection, OperationalError, contains
from . import relevance
from .filters import Filters
from .relevance import STRONG, WEAK
from .unspaced import SNIPPET_CHARS as UNSPACED_SNIPPET_CHARS
from .unspaced import fuse, unspaced_ranking, unspaced_snippet
from .words import (
    MARK_END,
    MARK_START,
    STOP_WORDS,
    UNSPACED,
    WORD,
    content_words,
    fold,
    fts_query,
    fts_query_any,
)

FTS_RANK_CAP = 5000  # matches ranked by BM25 per query; see _fts_ranked


def group_by_conversation(conn: Connection, hits: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Hits in rank order, grouped under their conversation (first hit decides its place, and its
    strength the group's `match`, unless a later hit of the group is strong)."""
    groups: dict[int, dict[str, Any]] = {}
    for hit in hits:
        group = groups.get(hit["conversation_id"])
        if group is None:
            if len(groups) >= limit:
                continue
            row = conn.execute(
                "SELECT id, provider, external_id, title, url, updated_at FROM conversations WHERE id = ?",
                (hit["conversation_id"],),
            ).fetchone()
            group = groups[hit["conversation_id"]] = {"conversation": dict(row), "match": WEAK, "hits": []}
        if hit.get("strength") == STRONG:
            group["match"] = STRONG
        if len(group["hits"]) < 3:
            group["hits"].append(
                {
                    k: hit[k]
                    for k in (
                        "message_id",
                        "chunk_id",
                        "role",
                        "kind",
                        "snippet",
                        "score",
                        "strength",
                        "created_at",
                        "key",
                    )
                    if k in hit
                }
            )
    return list(groups.values())


def search_fulltext(
    conn: Connection, query: str, filters: Filters = Filters(), limit: int = 20
) -> dict[str, Any]:
    """The `search` message without vectors (before the model or any vector exists)."""
    return search(conn, query, filters, limit, None, "fulltext")


# ---- hybrid ---------------------------------------------------------------------------------

RRF_K = 60
FTS_CANDIDATES = 60
VECTOR_CANDIDATES = 50
MIN_ALL_WORDS_HITS = 20  # fewer exact (all-words) hits than this: add any-word hits after them
SNIPPET_WORDS = 16
MAX_SNIPPET_CHARS = 240  # 16 words of prose are ~100-150 characters; longer means unspaced text
FILTER_OVERFETCH = 5  # with filters, rank this many times more full-text hits before filtering
MIN_FILTERED_HITS = 10  # fewer survive the filters: run the (slower) filtered query instead

DF_CAP = 5000  # document frequencies are counted up to this (a bounded walk of the word's doclist)


@dataclass(frozen=True)
class QueryWords:
    """The informative words of a query, each with its IDF weight in this archive."""

    words: tuple[str, ...]
    weights: tuple[float, ...]
    prefix_last: bool  # the last word was typed last: it may still be a prefix
    # Words the embedding model does not know (another language): a word also counts when a text
    # holds its stem (relevance.STEM_CHARS letters), so "таблице" is found in "таблица".
    stem_match: bool = False

    def coverage(self, text: str) -> float:
        """The IDF-weighted share of the words that the text holds (1.0: all of them). A run of an
        unspaced script counts by the share of its character bigrams found."""
        if not self.words:
            return 0.0
        folded = fold(text)
        tokens = set(WORD.findall(folded))
        stems = {t[: relevance.STEM_CHARS] for t in tokens} if self.stem_match else set()
        total = found = 0.0
        last = len(self.words) - 1
        for i, (word, weight) in enumerate(zip(self.words, self.weights)):
            total += weight
            if word in tokens or (i == last and self.prefix_last and any(t.startswith(word) for t in tokens)):
                found += weight
            elif UNSPACED.search(word):  # one character (猫) is its own unit: found inside the run
                grams = relevance.units([word])
                found += weight * sum(1 for g in grams if g in folded) / len(grams)
            elif len(word) > relevance.STEM_CHARS and word[: relevance.STEM_CHARS] in stems:
                found += weight
        return found / total if total else 0.0

    def support(self, text: str) -> float:
        """Lexical support for a vector hit: the IDF-weighted share of the query's words whose stem
        (or, in unspaced runs, whose pieces' bigrams) the text holds, so a hit must share the
        query's rare words, not "ein", "как" or "da"."""
        if not self.words:
            return 0.0
        folded = fold(text)
        stems = {t[: relevance.STEM_CHARS] for t in WORD.findall(folded)}
        total = found = 0.0
        for word, weight in zip(self.words, self.weights):
            total += weight
            if UNSPACED.search(word):
                grams = relevance.units([word])
                found += weight * sum(1 for g in grams if g in folded) / len(grams)
            elif word[: relevance.STEM_CHARS] in stems:
                found += weight
        return found / total if total else 0.0


def query_words(conn: Connection, query: str) -> QueryWords:
    """The query's informative words with log((N + 1) / (df + 0.5)) weights, df counted by FTS5.

    A word found nowhere gets the highest weight (a typo or gibberish should not let the rest of the
    query match on its common words alone)."""
    words = content_words(query)
    if not words:
        return QueryWords((), (), False)
    row = conn.execute("SELECT MAX(id) FROM chunks").fetchone()
    n = max(1, int(row[0] or 0))
    weights = []
    last_raw = WORD.findall(query)
    prefix_last = bool(last_raw) and fold(last_raw[-1]) == words[-1]
    for i, word in enumerate(words):
        term = '"' + word.replace('"', '""') + '"'
        if i == len(words) - 1 and prefix_last and len(word) >= 2:
            term += "*"
        try:
            df = conn.execute(
                "SELECT COUNT(*) FROM (SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT ?)",
                (term, DF_CAP),
            ).fetchone()[0]
        except OperationalError:  # a term FTS5 still refuses (none known: every word is quoted): unseen
            df = 0
        weights.append(math.log((n + 1) / (min(df, n) + 0.5)) + 0.1)
    return QueryWords(
        tuple(words), tuple(weights), prefix_last, relevance.floor_for(query) is not relevance.LATIN
    )


def _fts_ranked(
    conn: Connection, match: str, filters: Filters, limit: int, *, joined: bool = True
) -> list[int]:
    """Chunk ids by BM25. FTS5 ranks on its own first (its ORDER BY rank LIMIT is cheap); filters
    are checked on that over-fetched list, and only a selective filter pays for the joined query.
    Deleted conversations are dropped later, where hits meet their conversation (chunk_details).

    FTS5 computes BM25 for every match before sorting, so a word found in half the archive
    cost as much as scanning it. Only the newest FTS_RANK_CAP matches (filters applied first in
    the joined query) are ranked: exact for any rarer query, recency-biased for very common
    words, where the vectors carry the meaning anyway."""
    unfiltered = filters == Filters()
    fetch = limit if unfiltered else limit * (FILTER_OVERFETCH if joined else 2)
    ids = [
        r[0]
        for r in conn.execute(
            "SELECT rowid FROM (SELECT rowid, rank FROM chunks_fts WHERE chunks_fts MATCH ?"
            " ORDER BY rowid DESC LIMIT ?) ORDER BY rank LIMIT ?",
            (match, FTS_RANK_CAP, fetch),
        )
    ]
    if unfiltered:
        return ids
    passing = filters.passing(conn, ids)
    kept = [i for i in ids if i in passing]
    if not joined or len(kept) >= min(limit, MIN_FILTERED_HITS) or len(ids) < min(fetch, FTS_RANK_CAP):
        return kept[:limit]  # a shorter list is fine for fusion; the joined query costs ~10x more
    where, params = filters.sql()
    rows = conn.execute(
        "SELECT rowid FROM (SELECT f.rowid AS rowid, f.rank AS rank FROM chunks_fts f"
        " JOIN chunks ch ON ch.id = f.rowid JOIN messages m ON m.id = ch.message_id"
        " JOIN conversations c ON c.id = m.conversation_id"
        f" WHERE chunks_fts MATCH ? AND {where} ORDER BY f.rowid DESC LIMIT ?) ORDER BY rank LIMIT ?",
        (match, *params, FTS_RANK_CAP, limit),
    ).fetchall()
    return [r[0] for r in rows]


def keyword_ranking(
    conn: Connection,
    query: str,
    filters: Filters = Filters(),
    limit: int = FTS_CANDIDATES,
    *,
    any_words: bool = False,
    fallback: bool = True,
    cheap_fallback: bool = False,
    stems: bool = False,
) -> list[int]:
    """Chunk ids by BM25: chunks with every word first, then (if few, and `fallback`) chunks with
    any informative word. Any-word hits on a common word alone would push the right answer down:
    search keeps only the hits that clear relevance.WORD_FLOOR (see hybrid_hits). `cheap_fallback`
    (beside vectors) filters the any-word list after FTS5 ranked it and never pays for the joined
    query: vectors cover the rest, and a selective filter made hybrid search 2x slower without it."""
    ranked: list[int] = []
    if not any_words:
        match = fts_query(query)
        if match is not None:
            ranked = _fts_ranked(conn, match, filters, limit)
    if (any_words or fallback) and len(ranked) < min(limit, MIN_ALL_WORDS_HITS):
        match = fts_query_any(query, stem_chars=relevance.STEM_CHARS if stems else 0)
        if match is not None and (any_words or len(WORD.findall(query)) > 1):
            seen = set(ranked)
            more = _fts_ranked(conn, match, filters, limit, joined=not cheap_fallback)
            ranked += [i for i in more if i not in seen]
    # CJK/Thai words inside unspaced text: the trigram index (vivim.retrieval.unspaced), fused in.
    return fuse(unspaced_ranking(conn, query, filters, limit, any_terms=any_words), ranked[:limit])[:limit]


def reciprocal_rank_fusion(rankings: list[list[int]], k: int = RRF_K) -> list[tuple[int, float]]:
    """(id, fused score) best first; ties broken by id so the order is deterministic."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def make_snippet(text: str, query: str, words: int = SNIPPET_WORDS) -> str:
    """A window of the chunk around the first query word, matched words marked (for vector hits)."""
    wanted = {w.lower() for w in WORD.findall(query) if w.lower() not in STOP_WORDS}
    tokens = re.findall(r"\S+", text)
    start = 0
    for i, token in enumerate(tokens):
        if any(w.lower() in wanted for w in WORD.findall(token)):
            start = max(0, i - words // 4)
            break
    window = tokens[start : start + words]

    def mark(token: str) -> str:
        return WORD.sub(
            lambda m: f"{MARK_START}{m.group(0)}{MARK_END}" if m.group(0).lower() in wanted else m.group(0),
            token,
        )

    snippet = " ".join(mark(t) for t in window)
    more = start + words < len(tokens)
    if len(snippet) > MAX_SNIPPET_CHARS:
        # Japanese, Chinese, Thai: a "word" between spaces can be a whole paragraph (a 680-character
        # answer was shown whole); what no query term marks is cut at a sentence's worth.
        snippet, more = snippet[:UNSPACED_SNIPPET_CHARS].rstrip(), True
        if snippet.count(MARK_START) > snippet.count(MARK_END):
            snippet += MARK_END
    return ("…" if start > 0 else "") + snippet + ("…" if more else "")


def chunk_details(
    conn: Connection, chunk_ids: list[int], filters: Filters = Filters()
) -> dict[int, dict[str, Any]]:
    """Message and conversation facts of chunks that pass the filters (and whose conversation is live)."""
    if not chunk_ids:
        return {}
    where, params = filters.sql()
    marks = ",".join("?" * len(chunk_ids))
    rows = conn.execute(
        "SELECT ch.id AS chunk_id, ch.text, m.id AS message_id, m.role, m.kind, m.created_at, m.conversation_id,"
        " m.key"
        " FROM chunks ch JOIN messages m ON m.id = ch.message_id JOIN conversations c ON c.id = m.conversation_id"
        f" WHERE ch.id IN ({marks}) AND {where}",
        (*chunk_ids, *params),
    ).fetchall()
    return {r["chunk_id"]: dict(r) for r in rows}


def fts_snippets(conn: Connection, query: str, chunk_ids: list[int]) -> dict[int, str]:
    """FTS5 snippets for the shown hits.

    A prefix term (search as you type) makes FTS5 merge the doclists of every term it covers on
    each execution: ~5 ms for a common stem at 100k chunks, so one query for all hits, and the
    exact words tried first (1-2 ms for 20 hits); the prefix form only for hits still lacking one.
    """
    found: dict[int, str] = {}
    for match in (fts_query(query, prefix_last=False), fts_query(query)):
        rest = [i for i in chunk_ids if i not in found]
        if match is None or not rest:
            continue
        rows = conn.execute(
            f"SELECT rowid, snippet(chunks_fts, 0, '{MARK_START}', '{MARK_END}', '…', {SNIPPET_WORDS})"
            " FROM chunks_fts WHERE chunks_fts MATCH ? AND rowid >= ? AND rowid <= ?"
            f" AND rowid IN ({','.join('?' * len(rest))})",
            (match, min(rest), max(rest), *rest),
        ).fetchall()
        found.update({r[0]: r[1] for r in rows})
    return found


def _texts(conn: Connection, chunk_ids: list[int]) -> dict[int, str]:
    if not chunk_ids:
        return {}
    marks = ",".join("?" * len(chunk_ids))
    return {r[0]: r[1] for r in conn.execute(f"SELECT id, text FROM chunks WHERE id IN ({marks})", chunk_ids)}


def _texts_with_titles(conn: Connection, chunk_ids: list[int]) -> dict[int, str]:
    """Chunk text and its conversation's title: a title ("Slow Postgres query") often holds the
    words a query shares with a conversation whose messages say it differently."""
    if not chunk_ids:
        return {}
    marks = ",".join("?" * len(chunk_ids))
    rows = conn.execute(
        "SELECT ch.id, ch.text || ' ' || COALESCE(c.title, '') FROM chunks ch"
        " JOIN messages m ON m.id = ch.message_id"
        f" JOIN conversations c ON c.id = m.conversation_id WHERE ch.id IN ({marks})",
        chunk_ids,
    )
    return {r[0]: r[1] for r in rows}


EXCHANGE_CHARS = 2000  # of the other half of a chunk's exchange that counts as its words


def exchange_texts(conn: Connection, chunk_ids: list[int]) -> dict[int, str]:
    """Chunk text, its conversation's title and the other half of its exchange: the reply to a user
    turn, the question an answer replies to (the first EXCHANGE_CHARS characters).

    Lexical support for a vector hit: a query's words are often split between how the user asked
    and how the assistant answered ("what to take to Olkhon in February": the month is in the
    question, the island in the answer), and the two are one exchange to the person searching."""
    if not chunk_ids:
        return {}
    marks = ",".join("?" * len(chunk_ids))
    rows = conn.execute(
        "SELECT ch.id, ch.text || ' ' || COALESCE(c.title, ''),"
        " CASE WHEN m.role = 'user' THEN"
        "  (SELECT substr(n.text, 1, ?) FROM messages n WHERE n.conversation_id = m.conversation_id"
        "   AND (n.position, n.id) > (m.position, m.id) ORDER BY n.position, n.id LIMIT 1)"
        " ELSE"
        "  (SELECT substr(n.text, 1, ?) FROM messages n WHERE n.conversation_id = m.conversation_id"
        "   AND (n.position, n.id) < (m.position, m.id) ORDER BY n.position DESC, n.id DESC LIMIT 1)"
        " END"
        " FROM chunks ch JOIN messages m ON m.id = ch.message_id"
        f" JOIN conversations c ON c.id = m.conversation_id WHERE ch.id IN ({marks})",
        (EXCHANGE_CHARS, EXCHANGE_CHARS, *chunk_ids),
    )
    return {r[0]: r[1] + " " + (r[2] or "") for r in rows}


def floored_keyword_ranking(
    conn: Connection,
    query: str,
    filters: Filters,
    words: QueryWords,
    limit: int = FTS_CANDIDATES,
    *,
    any_words: bool = False,
    cheap_fallback: bool = False,
) -> tuple[list[int], dict[int, float]]:
    """Full-text candidates that clear the word floor, with their coverage: every-word hits first
    (BM25), then any-word hits by coverage and BM25. A query of stop words only finds nothing here:
    "how do I" is in every other chunk and says nothing about any of them."""
    if not words.words:
        return [], {}
    ranked = keyword_ranking(
        conn,
        query,
        filters,
        limit,
        any_words=any_words,
        fallback=True,
        cheap_fallback=cheap_fallback,
        stems=words.stem_match,
    )
    texts = _texts_with_titles(conn, ranked)  # a title counts as its words (as in title_ranking)
    coverage = {cid: words.coverage(texts.get(cid, "")) for cid in ranked}
    kept = [cid for cid in ranked if coverage[cid] >= relevance.WORD_FLOOR]
    order = {cid: i for i, cid in enumerate(kept)}
    kept.sort(key=lambda cid: (-round(coverage[cid], 2), order[cid]))  # stable: BM25 within a coverage
    return kept, {cid: coverage[cid] for cid in kept}


TITLE_CANDIDATES = 20


def title_ranking(
    conn: Connection, words: QueryWords, filters: Filters, limit: int = TITLE_CANDIDATES
) -> tuple[list[int], dict[int, float]]:
    """Conversations whose title holds the query's words (WORD_FLOOR, weighted by rarity), as their
    first chunk: titles are not in the full-text index, yet "learning rust" should find "Rust
    borrow checker error" and "mortgage" the conversation titled "Fixed or variable rate mortgage"
    whose messages never use the word. A substring test narrows the scan (ASCII case-insensitively); the
    coverage check on the title's own words decides."""
    if not words.words:
        return [], {}
    likes = " OR ".join(contains("c.title") for _ in words.words)
    params: list[Any] = list(words.words)
    where = ["c.deleted_at IS NULL", f"({likes})"]
    for column, value in (("c.provider", filters.provider), ("c.id", filters.conversation_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    rows = conn.execute(
        "SELECT c.id, c.title, (SELECT ch.id FROM messages m JOIN chunks ch ON ch.message_id = m.id"
        " WHERE m.conversation_id = c.id ORDER BY m.position, m.id, ch.ordinal LIMIT 1)"
        f" FROM conversations c WHERE {' AND '.join(where)} ORDER BY c.updated_at DESC LIMIT 500",
        params,
    ).fetchall()
    scored = [(words.coverage(row[1] or ""), row[2]) for row in rows if row[2] is not None]
    kept = [(cover, chunk_id) for cover, chunk_id in scored if cover >= relevance.WORD_FLOOR]
    kept.sort(key=lambda pair: -pair[0])  # stable: the newest first within a coverage
    return [cid for _, cid in kept[:limit]], {cid: cover for cover, cid in kept[:limit]}


def floored(
    conn: Connection, hits: list[tuple[int, float]], judge: relevance.Floor, words: QueryWords
) -> list[tuple[int, float]]:
    """The vector hits of one space that clear its floor: at the sure cosine on meaning alone, between
    the floor and it only with lexical support (the query's words in the chunk's exchange)."""
    maybe = [cid for cid, cos in hits if judge.floor_cosine <= cos < judge.sure_cosine]
    texts = exchange_texts(conn, maybe)
    return [
        (cid, cos)
        for cid, cos in hits
        if relevance.vector_passes(cos, words.support(texts[cid]) if cid in texts else 0.0, judge)
    ]


def hybrid_hits(
    conn: Connection,
    query: str,
    query_vector: Any,
    filters: Filters = Filters(),
    limit: int = 50,
    *,
    any_words: bool = False,
    keywords: bool = True,
    snippets: bool = True,
    floor: bool = True,
    nearest: list[tuple[int, float]] | None = None,
    first_pass_vector: Any = None,
    multilingual_vector: Any = None,
) -> list[dict[str, Any]]:
    """Fused hits that clear the relevance floor, best first, each with its message facts, text,
    fused score, cosine (when embedded), word coverage, strength (and snippet).

    floor=False is the fusion as it was before the floor (no any-word fallback beside vectors): the
    quality bench compares the two. `nearest`: the vector scan's answer if the caller already has it
    (context.build scans once for its own retrieval and for search's ranking). `first_pass_vector`:
    the query in the static model's space, for the chunks MiniLM has not reached yet
    (vivim.retrieval.first_pass): a list of its own, behind its own floor. `multilingual_vector`: the
    query in the multilingual space (vivim.retrieval.multilingual), for the chunks not in English."""
    from .vectors import knn, load_embeddings

    words = query_words(conn, query)
    judge = relevance.floor_for(query)
    rankings = []
    coverage: dict[int, float] = {}
    if keywords:
        if floor:
            ids, coverage = floored_keyword_ranking(
                conn,
                query,
                filters,
                words,
                FTS_CANDIDATES,
                any_words=any_words,
                cheap_fallback=query_vector is not None,
            )
            # Title matches follow the text matches in the same list: a title is weaker evidence
            # than the words themselves in a message, and a third list would count them twice.
            titled, title_coverage = title_ranking(conn, words, filters)
            ids = ids + [cid for cid in titled if cid not in coverage]
            for cid, title_cover in title_coverage.items():
                coverage[cid] = max(title_cover, coverage.get(cid, 0.0))
        else:
            ids = keyword_ranking(
                conn, query, filters, FTS_CANDIDATES, any_words=any_words, fallback=query_vector is None
            )
        rankings.append(ids)
    cosines: dict[int, float] = {}
    if query_vector is not None:
        if nearest is None:
            nearest = knn(conn, query_vector, VECTOR_CANDIDATES, filters)
        nearest = nearest[:VECTOR_CANDIDATES]
        cosines = dict(nearest)
        if floor:
            nearest = floored(conn, nearest, judge, words)
    first_cosines: dict[int, float] = {}
    first_judge = relevance.first_pass_floor_for(query)
    if first_pass_vector is not None:
        from . import first_pass

        rough = first_pass.knn(conn, first_pass_vector, VECTOR_CANDIDATES, filters)
        if floor:
            rough = floored(conn, rough, first_judge, words)
        first_cosines = dict(rough)
    multi_cosines: dict[int, float] = {}
    multi_judge = relevance.multilingual_floor_for(query)
    if multilingual_vector is not None:
        from . import multilingual

        near = multilingual.knn(conn, multilingual_vector, VECTOR_CANDIDATES, filters)
        if floor:
            near = floored(conn, near, multi_judge, words)
        multi_cosines = dict(near)
        if floor and judge is not relevance.LATIN and nearest:
            # A question not in English about a chunk not in English: the English model reads neither
            # well (any two Russian texts sit at cosine 0.5-0.75 there), the multilingual one reads
            # both, so a hit it puts below its own floor is not taken on the English model's word.
            vetoed = multilingual.below(
                conn, multilingual_vector, [cid for cid, _ in nearest], multi_judge.floor_cosine
            )
            nearest = [(cid, cos) for cid, cos in nearest if cid not in vetoed]
    if query_vector is not None or first_pass_vector is not None or multilingual_vector is not None:
        # One meaning list: each space's cosines put on one scale by their own floors (0 at the
        # floor, 1 at "strong"), so a first-pass hit and a MiniLM hit compete on how clearly each
        # clears its own bar, and meaning is counted once in the fusion, whichever space holds a
        # chunk (a chunk in two spaces, English model and multilingual, by the clearer of the two).
        scaled: dict[int, float] = {}
        for cid, similarity in nearest if query_vector is not None and nearest else []:
            scaled[cid] = relevance.scaled(similarity, judge)
        for cid, similarity in first_cosines.items():
            scaled[cid] = relevance.scaled(similarity, first_judge)
        for cid, similarity in multi_cosines.items():
            scaled[cid] = max(scaled.get(cid, -1.0), relevance.scaled(similarity, multi_judge))
        meaning = sorted(scaled.items(), key=lambda pair: -pair[1])  # stable: MiniLM first on a tie
        rankings.append([cid for cid, _ in meaning])
    fused = reciprocal_rank_fusion(rankings)[: limit * 2]
    details = chunk_details(conn, [cid for cid, _ in fused], filters)
    if query_vector is not None:
        import numpy as np

        missing = [cid for cid, _ in fused if cid not in cosines and cid in details]
        query_unit = np.asarray(query_vector, dtype=np.float32)
        cosines.update({cid: float(v @ query_unit) for cid, v in load_embeddings(conn, missing).items()})
    hits = []
    for chunk_id, score in fused:
        hit = details.get(chunk_id)
        if hit is None:
            continue  # filtered out (e.g. a deleted conversation) after the vector scan
        hit["score"] = round(score, 6)
        cos = cosines.get(chunk_id)
        cover = coverage.get(chunk_id)
        if cover is None and words.words:
            cover = words.coverage(hit["text"])
        hit["cosine"] = None if cos is None else round(cos, 4)
        hit["coverage"] = None if cover is None else round(cover, 3)
        hit["strength"] = relevance.strength(cos, cover, judge)
        if cos is None and chunk_id in first_cosines:  # not refined yet: judged in the first-pass space
            hit["first_pass_cosine"] = round(first_cosines[chunk_id], 4)
            hit["strength"] = relevance.strength(first_cosines[chunk_id], cover, first_judge)
        if chunk_id in multi_cosines:
            hit["multilingual_cosine"] = round(multi_cosines[chunk_id], 4)
            if relevance.strength(multi_cosines[chunk_id], cover, multi_judge) == relevance.STRONG:
                hit["strength"] = relevance.STRONG
        hits.append(hit)
        if len(hits) >= limit:
            break
    if snippets:
        add_snippets(conn, query, hits)
    return hits


def add_snippets(conn: Connection, query: str, hits: list[dict[str, Any]]) -> None:
    """FTS5's snippet where the words matched, else a window of the chunk text (vector-only hits)."""
    found = fts_snippets(conn, query, [h["chunk_id"] for h in hits])
    for hit in hits:
        hit["snippet"] = (
            unspaced_snippet(hit["text"], query)
            or found.get(hit["chunk_id"])
            or make_snippet(hit["text"], query)
        )


def search(
    conn: Connection,
    query: str,
    filters: Filters = Filters(),
    limit: int = 20,
    query_vector: Any = None,
    mode: str = "hybrid",
    *,
    floor: bool = True,
) -> dict[str, Any]:
    """The `search` message. Scores are fused reciprocal ranks: higher is better.

    mode "hybrid" (default) uses vectors when a query vector and stored vectors exist; "vector"
    uses only them; "fulltext" never does. The reply's mode says what was actually used, and
    `modes` which lists answered ("fulltext", "vector"): a reply without "vector" was found by
    words alone, whatever was asked. Only hits that clear the relevance floor are returned, so
    `results` may be empty: nothing in the archive is close.

    Chunks MiniLM has not embedded yet but the first pass has are searched by their static vector
    (modes then include "first_pass"): with no MiniLM query vector (the model still loading) they
    are the meaning side of the answer on their own. Chunks not in English are also searched in the
    multilingual space (modes include "multilingual"), whatever the query's language.
    """
    from .multilingual import query_vector as multilingual_query_vector
    from .vectors import has_vectors

    use_vectors = mode != "fulltext" and query_vector is not None and has_vectors(conn)
    first_pass_vector = first_pass_query_vector(conn, query) if mode != "fulltext" else None
    multilingual_vector = multilingual_query_vector(conn, query) if mode != "fulltext" else None
    if not use_vectors:
        query_vector = None
        mode = "fulltext" if first_pass_vector is None and multilingual_vector is None else mode
    hits = hybrid_hits(
        conn,
        query,
        query_vector,
        filters,
        limit=limit * 5,
        keywords=mode != "vector",
        snippets=False,
        floor=floor,
        first_pass_vector=first_pass_vector,
        multilingual_vector=multilingual_vector,
    )
    groups = group_by_conversation(conn, hits, limit)
    by_chunk = {h["chunk_id"]: h for h in hits}
    shown = [by_chunk[h["chunk_id"]] for g in groups for h in g["hits"]]
    add_snippets(conn, query, shown)  # only for the hits the reply carries
    for group in groups:
        for hit in group["hits"]:
            hit["snippet"] = by_chunk[hit["chunk_id"]]["snippet"]
    modes = (
        (["fulltext"] if mode != "vector" else [])
        + (["vector"] if use_vectors else [])
        + (["first_pass"] if first_pass_vector is not None else [])
        + (["multilingual"] if multilingual_vector is not None else [])
    )
    return {"query": query, "mode": mode, "modes": modes, "results": groups}


def first_pass_query_vector(conn: Connection, query: str) -> Any:
    """The query in the first-pass space, if some chunks are searched there and the static table is
    already built (a search never waits for a build: the worker makes it); else None."""
    from . import first_pass
    from .static_model import get_static_embedder

    if not query.strip() or not first_pass.has_any(conn):
        return None
    embedder = get_static_embedder()
    if not embedder.loaded and not embedder.ready_to_load():
        return None
    try:
        vector = embedder.embed_query(query)
    except Exception:  # noqa: BLE001 - an unreadable table: answer without the first pass
        return None
    return vector if float(vector @ vector) > 0 else None
