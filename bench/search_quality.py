"""Search quality on a labelled set: full text, vector and hybrid, the relevance floor, context hit rate.

    python bench/search_quality.py                # build (import + embed, ~1 min) and report
    python bench/search_quality.py --keep /tmp/q  # reuse the archive built there on later runs
    python bench/search_quality.py --calibrate    # also sweep the floors on the "tune" split
    python bench/search_quality.py --first-pass only   # every chunk by its first-pass (static) vector
    python bench/search_quality.py --first-pass mixed  # half refined by MiniLM, half first pass only

The set is bench/quality: 210 conversations written to read like real ones (everyday and technical
topics; Russian, German, Spanish and Japanese among them, one or two each in French, Portuguese,
Chinese, Italian and Korean; a few long ones with a fact in the middle) and 338 labelled queries in
six kinds: paraphrase, keyword, middle (a fact in the middle of a long conversation), nonenglish
(same language as the conversation), crosslingual (an English query for a non-English
conversation) and noanswer (gibberish, or a topic the archive never touches). About a third of each kind is held out ("holdout"), and the 43 queries added on
2026-12-07 (written before any measurement with them) are mostly held out: everything fitted is
fitted on "tune" only (print_provenance lists each number and its split), and both splits are
reported, so an overfitted number shows as a gap between them.

The archive goes through the real code paths: the conversations are written as a ChatGPT export
and a Claude export, read by `vivim.importers.import_path` into a real SQLite store, embedded by
`vivim.retrieval.reindex.embed_all_pending` with the shipped model, and searched with `vivim.retrieval.search.search`
and `vivim.retrieval.prompt_context.build_context`, exactly as the `search` and `context.build` messages do.

Metrics, per kind and split: recall@1 and @5 and MRR@10 over conversations (a query is answered
when its labelled conversation is among the results); "answered" is the share of answerable queries
that got any result at all; for noanswer queries, "no-answer precision" is the share that returned
nothing. Context hit rate: of the queries whose labelled conversation is in the hybrid top 3, the
share for which context.build (the query as the draft) brings that conversation into the prompt;
for noanswer queries, the same column is the share for which context.build brought nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "host"))

from vivim.retrieval.prompt_context import build_context
from vivim.retrieval.search import Filters, search

DATA = Path(__file__).resolve().parent / "quality"
BASE_TIME = 1_760_000_000.0
DAY = 86400.0
KINDS = ("paraphrase", "keyword", "middle", "nonenglish", "crosslingual", "noanswer")
MODES = ("fulltext", "vector", "hybrid")
SPLITS = ("tune", "holdout", "fresh")  # "fresh": written after the multilingual space, before measuring it


def load_set() -> tuple[list[list[Any]], list[list[Any]]]:
    conversations = json.loads((DATA / "conversations.json").read_text(encoding="utf-8"))["conversations"]
    queries = json.loads((DATA / "queries.json").read_text(encoding="utf-8"))["queries"]
    return conversations, queries


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(ts))


def chatgpt_item(cid: str, title: str, start: float, turns: list[list[str]]) -> dict[str, Any]:
    """One conversation shaped like ChatGPT's conversations.json (mapping of nodes, a current_node)."""
    mapping: dict[str, Any] = {"root": {"id": "root", "message": None, "parent": None, "children": []}}
    parent = "root"
    for i, (role, text) in enumerate(turns):
        node = f"{cid}-{i}"
        mapping[parent]["children"].append(node)
        mapping[node] = {
            "id": node,
            "parent": parent,
            "children": [],
            "message": {
                "id": node,
                "author": {"role": role},
                "create_time": start + 60 * i,
                "content": {"content_type": "text", "parts": [text]},
                "metadata": {},
            },
        }
        parent = node
    return {
        "id": cid,
        "conversation_id": cid,
        "title": title,
        "create_time": start,
        "update_time": start + 60 * len(turns),
        "mapping": mapping,
        "current_node": parent,
    }


def claude_item(cid: str, title: str, start: float, turns: list[list[str]]) -> dict[str, Any]:
    """One conversation shaped like Claude's conversations.json (chat_messages with parent links)."""
    messages, parent = [], "00000000-0000-4000-8000-000000000000"
    for i, (role, text) in enumerate(turns):
        mid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{cid}/{i}"))
        messages.append(
            {
                "uuid": mid,
                "sender": "human" if role == "user" else "assistant",
                "text": text,
                "content": [{"type": "text", "text": text}],
                "created_at": _iso(start + 60 * i),
                "parent_message_uuid": parent,
            }
        )
        parent = mid
    return {
        "uuid": cid,
        "name": title,
        "created_at": _iso(start),
        "updated_at": _iso(start + 60 * len(turns)),
        "chat_messages": messages,
    }


def write_exports(folder: Path, conversations: list[list[Any]]) -> None:
    chatgpt, claude = [], []
    for cid, provider, title, days, turns in conversations:
        start = BASE_TIME - days * DAY
        if provider == "claude":
            claude.append(claude_item(cid, title, start, turns))
        else:  # ChatGPT's export format also carries the Gemini-tagged conversations
            chatgpt.append(chatgpt_item(cid, title, start, turns))
    (folder / "chatgpt").mkdir(parents=True, exist_ok=True)
    (folder / "claude").mkdir(parents=True, exist_ok=True)
    (folder / "chatgpt" / "conversations.json").write_text(json.dumps(chatgpt, ensure_ascii=False), "utf-8")
    (folder / "claude" / "conversations.json").write_text(json.dumps(claude, ensure_ascii=False), "utf-8")


def build_archive(db: Path, conversations: list[list[Any]]) -> dict[str, Any]:
    from vivim.importers import import_path
    from vivim.retrieval.embedding import Embedder
    from vivim.retrieval.reindex import embed_all_pending
    from vivim.store import Store
    from vivim.store.connection import connect_sync

    with tempfile.TemporaryDirectory() as tmp:
        write_exports(Path(tmp), conversations)

        async def run_import() -> Any:
            store = await Store.open(db)
            try:
                return await import_path(store, tmp)
            finally:
                await store.close()

        started = time.perf_counter()
        summary = asyncio.run(run_import())
        imported = time.perf_counter() - started
    conn = connect_sync(db)
    embedder = Embedder(threads=min(2, os.cpu_count() or 1))
    started = time.perf_counter()
    embedded = embed_all_pending(conn, embedder)
    embed_seconds = time.perf_counter() - started
    from vivim.retrieval.multilingual_model import get_multilingual_embedder
    from vivim.retrieval.reindex import multilingual_all

    started = time.perf_counter()
    multilingual = multilingual_all(conn, get_multilingual_embedder(), workers=min(2, os.cpu_count() or 1))
    multilingual_seconds = time.perf_counter() - started
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return {
        "conversations": summary.conversations,
        "messages": summary.messages,
        "import_s": imported,
        "chunks_embedded": embedded,
        "embed_s": embed_seconds,
        "multilingual": multilingual,
        "multilingual_s": multilingual_seconds,
    }


class Evaluator:
    def __init__(self, conn: Any, queries: list[list[Any]], embedder: Any) -> None:
        self.conn = conn
        self.queries = queries
        self.vectors = {q[0]: embedder.embed_query(q[0]) for q in queries}

    def ranked(self, query: str, mode: str, floor: bool = True) -> list[str]:
        vector = None if mode == "fulltext" else self.vectors[query]
        result = search(self.conn, query, Filters(), 10, vector, mode, floor=floor)
        return [group["conversation"]["external_id"] for group in result["results"]]

    def context_items(self, query: str, mode: str) -> list[dict[str, Any]]:
        vector = None if mode == "fulltext" else self.vectors[query]
        items: list[dict[str, Any]] = build_context(self.conn, query, vector)["items"]
        return items

    def context_has(self, query: str, relevant: list[str], mode: str) -> bool:
        ids = {self.external_ids.get(item["conversation_id"]) for item in self.context_items(query, mode)}
        return bool(ids & set(relevant))

    @property
    def external_ids(self) -> dict[int, str]:
        if not hasattr(self, "_external_ids"):
            rows = self.conn.execute("SELECT id, external_id FROM conversations")
            self._external_ids = {r[0]: r[1] for r in rows}
        return self._external_ids

    def evaluate(
        self, mode: str, floor: bool = True, context: bool = True, split: str | None = None
    ) -> dict[str, dict[str, float]]:
        """Metrics per kind (and "all answerable") for one mode."""
        rows: dict[str, list[dict[str, float]]] = defaultdict(list)
        for query, kind, relevant, qsplit in self.queries:
            if split is not None and qsplit != split:
                continue
            ids = self.ranked(query, mode, floor)
            if kind == "noanswer":
                row = {"empty": float(not ids)}
                if context and mode != "vector":  # context.build must bring nothing either
                    row["ctx_empty"] = float(not self.context_items(query, mode))
                rows[kind].append(row)
                continue
            rank = next((i + 1 for i, cid in enumerate(ids) if cid in relevant), None)
            row = {
                "r1": float(rank == 1),
                "r5": float(bool(rank and rank <= 5)),
                "mrr": 1.0 / rank if rank else 0.0,
                "answered": float(bool(ids)),
            }
            if context and mode != "vector" and rank is not None and rank <= 3:
                row["ctx"] = float(self.context_has(query, relevant, mode))
            rows[kind].append(row)
            rows["answerable"].append(row)
        return {kind: _means(values) for kind, values in rows.items()}


def full_text_in_hybrid(evaluator: Evaluator, split: str) -> None:
    """How often the full-text side has anything to give the fusion (before: every word required,
    no any-word fallback beside vectors), and how many of full text's first-ranked answers hybrid
    loses (out of its top 5)."""
    from vivim.retrieval.search import floored_keyword_ranking, keyword_ranking, query_words

    queries = [q for q in evaluator.queries if q[3] == split and q[1] != "noanswer"]
    before = after = 0
    lost = {"hybrid": 0, "hybrid-raw": 0}
    for query, _kind, relevant, _ in queries:
        before += bool(keyword_ranking(evaluator.conn, query, Filters(), 60, fallback=False))
        words = query_words(evaluator.conn, query)
        after += bool(floored_keyword_ranking(evaluator.conn, query, Filters(), words)[0])
        fulltext = evaluator.ranked(query, "fulltext")
        if fulltext and fulltext[0] in relevant:
            for name, floor in (("hybrid", True), ("hybrid-raw", False)):
                if not set(evaluator.ranked(query, "hybrid", floor)[:5]) & set(relevant):
                    lost[name] += 1
    print(
        f"\n== full text inside hybrid ({split}, {len(queries)} answerable queries): a non-empty full-text list"
        f" for {after} (before, every word required: {before}); full text's first-ranked answer missing from"
        f" the hybrid top 5: {lost['hybrid']} (hybrid-raw: {lost['hybrid-raw']})"
    )


def _means(rows: list[dict[str, float]]) -> dict[str, float]:
    keys = {k for row in rows for k in row}
    out = {k: statistics.fmean(row[k] for row in rows if k in row) for k in keys}
    out["n"] = len(rows)
    if "ctx" in keys:
        out["ctx_n"] = sum(1 for row in rows if "ctx" in row)
    return out


def print_table(title: str, results: dict[str, dict[str, dict[str, float]]]) -> None:
    print(f"\n== {title}")
    print(
        f"{'mode':<10}{'kind':<14}{'n':>4}{'R@1':>7}{'R@5':>7}{'MRR@10':>8}{'answered':>10}{'no-ans P':>10}"
        f"{'ctx hit':>9}"
    )
    for mode, per_kind in results.items():
        for kind in (*KINDS, "answerable"):
            m = per_kind.get(kind)
            if not m:
                continue

            def fmt(key: str, width: int) -> str:
                return f"{m[key]:>{width}.3f}" if key in m else " " * (width - 1) + "-"

            ctx = f"{m['ctx']:>6.3f}/{int(m['ctx_n']):<2}" if "ctx" in m else "        -"
            if "ctx_empty" in m:  # no-answer queries: the share for which context.build brought nothing
                ctx = f"{m['ctx_empty']:>6.3f}   "
            print(
                f"{mode:<10}{kind:<14}{int(m['n']):>4}{fmt('r1', 7)}{fmt('r5', 7)}{fmt('mrr', 8)}"
                f"{fmt('answered', 10)}{fmt('empty', 10)}{ctx:>9}"
            )


def first_pass_copy(db: Path, which: str, name: str = "") -> Path:
    """A copy of the archive where MiniLM has embedded nothing ("only") or every other chunk
    ("mixed"), and the first pass (vivim.retrieval.first_pass) the rest: the states a backfill goes
    through. The multilingual space has not reached the chunks MiniLM has not (the worker alternates)."""
    import shutil

    from vivim.retrieval.reindex import first_pass_all
    from vivim.store.connection import connect_sync
    from vivim.store.migrations import apply_migrations

    target = db.with_name(f"first-pass-{which}{name}.sqlite3")
    if target.exists():
        return target
    conn = connect_sync(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    shutil.copyfile(db, target)
    conn = connect_sync(target)
    apply_migrations(conn)
    where = "" if which == "only" else " WHERE id % 2 = 0"
    ids = [r[0] for r in conn.execute(f"SELECT id FROM chunks{where}")]
    conn.execute("BEGIN IMMEDIATE")
    for chunk_id in ids:
        conn.execute("DELETE FROM chunk_vectors WHERE chunk_id = ?", (chunk_id,))
        conn.execute("DELETE FROM chunk_embeddings WHERE chunk_id = ?", (chunk_id,))
        conn.execute("UPDATE chunks SET embedded = 0 WHERE id = ?", (chunk_id,))
        conn.execute("DELETE FROM chunk_multilingual WHERE chunk_id = ?", (chunk_id,))  # not reached either
    conn.execute("COMMIT")
    started = time.perf_counter()
    done = first_pass_all(conn)
    print(f"first pass ({which}): {done} chunks in {time.perf_counter() - started:.1f} s")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return target


# The first-pass model's recipe choices measured by --fit-static: how the outputs of "[CLS] token
# [SEP]" are weighed into a token's row (vivim.retrieval.static_model.TOKEN_POSITION_WEIGHTS).
STATIC_CANDIDATES = {
    "mean (MiniLM's pooling)": (1 / 3, 1 / 3, 1 / 3),
    "token 1/2, ends 1/4": (1 / 4, 1 / 2, 1 / 4),
    "token 2/3, ends 1/6": (1 / 6, 2 / 3, 1 / 6),
    "token alone": (0.0, 1.0, 0.0),
}


def fit_static(db: Path, queries: list[list[Any]], embedder: Any) -> None:
    """Distil the static table once per candidate recipe, search an archive where the first pass
    stands in for MiniLM everywhere, and choose on the tune split alone (answerable MRR@10, then
    R@5); the held-out columns are printed beside it, not looked at to choose."""
    import subprocess

    import vivim.retrieval.static_model as static_model
    from vivim.retrieval.embedding import weights_path
    from vivim.store.connection import connect_sync

    rows = []
    original = static_model.table_path
    try:
        for i, (name, weights) in enumerate(STATIC_CANDIDATES.items()):
            table = db.with_name(f"static-fit-{i}.npy")
            if not table.exists():
                started = time.perf_counter()
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "vivim.retrieval.static_model",
                        str(weights_path()),
                        str(table),
                        ",".join(f"{w:.6f}" for w in weights),
                    ],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
                print(f"distilled {name} in {time.perf_counter() - started:.0f} s")
            static_model.table_path = lambda source, table=table: table  # type: ignore[assignment]
            static_model._shared = None  # the next get_static_embedder() loads this table
            conn = connect_sync(first_pass_copy(db, "only", f"-fit-{i}"))
            evaluator = Evaluator(conn, queries, embedder)
            per_split = {
                split: evaluator.evaluate("hybrid", context=False, split=split)["answerable"]
                for split in ("tune", "holdout")
            }
            conn.close()
            rows.append((name, weights, per_split))
    finally:
        static_model.table_path = original  # type: ignore[assignment]
        static_model._shared = None
    best = max(rows, key=lambda row: (row[2]["tune"]["mrr"], row[2]["tune"]["r5"]))
    shipped = static_model.TOKEN_POSITION_WEIGHTS
    print(
        "\n== first-pass recipe, chosen on the tune split only (first-pass vectors only, hybrid, answerable)"
    )
    print(f"{'token position weights':<26}{'tune R@5':>9}{'MRR@10':>8}   {'held-out R@5':>12}{'MRR@10':>8}")
    for name, weights, m in rows:
        mark = " <- best on tune" if (name, weights, m) == best else ""
        mark += " (shipped)" if all(abs(a - b) < 1e-6 for a, b in zip(weights, shipped)) else ""
        print(
            f"{name:<26}{m['tune']['r5']:>9.3f}{m['tune']['mrr']:>8.3f}   {m['holdout']['r5']:>12.3f}"
            f"{m['holdout']['mrr']:>8.3f}{mark}"
        )


def print_provenance() -> None:
    """Each fitted number with the split it was fitted on: held-out figures are honest only if no
    number was chosen by looking at them."""
    import vivim.retrieval.prompt_context as prompt_context
    import vivim.retrieval.relevance as relevance
    import vivim.retrieval.search as search_module
    import vivim.retrieval.static_model as static_model

    rows = [
        ("relevance.LATIN", relevance.LATIN, "tune (--calibrate)"),
        ("relevance.UNKNOWN_WORDS", relevance.UNKNOWN_WORDS, "tune (--calibrate)"),
        ("relevance.OTHER_SCRIPT", relevance.OTHER_SCRIPT, "tune (--calibrate)"),
        ("relevance.FIRST_PASS_LATIN", relevance.FIRST_PASS_LATIN, "tune (--first-pass only --calibrate)"),
        ("relevance.FIRST_PASS_UNKNOWN_WORDS", relevance.FIRST_PASS_UNKNOWN_WORDS, "tune (same)"),
        ("relevance.FIRST_PASS_OTHER_SCRIPT", relevance.FIRST_PASS_OTHER_SCRIPT, "tune (same)"),
        ("relevance.WORD_FLOOR", relevance.WORD_FLOOR, "tune (--calibrate)"),
        ("static_model.TOKEN_POSITION_WEIGHTS", static_model.TOKEN_POSITION_WEIGHTS, "tune (--fit-static)"),
        ("static_model.DIM", static_model.DIM, "not fitted (model2vec's default)"),
        ("static_model.SIF_COEFFICIENT", static_model.SIF_COEFFICIENT, "not fitted (model2vec's default)"),
        ("relevance.STEM_CHARS", relevance.STEM_CHARS, "not fitted (a general choice)"),
        ("relevance.KNOWN_SHARE", relevance.KNOWN_SHARE, "not fitted (a general choice)"),
        ("search.RRF_K (fusion)", search_module.RRF_K, "not fitted (the RRF paper's 60)"),
        (
            "prompt_context.SEARCH_PINS",
            prompt_context.SEARCH_PINS,
            "not fitted (search's first conversation)",
        ),
        ("prompt_context.MIN_COSINE", prompt_context.MIN_COSINE, "not fitted (set before this labelled set)"),
    ]
    print("\n== parameters and the split each was fitted on")
    for name, value, split in rows:
        shown = tuple(round(v, 4) for v in value) if isinstance(value, tuple) else value
        print(f"  {name:<38} {split:<42} {shown}")


def calibrate(evaluator: Evaluator, first_pass: bool = False) -> None:
    """Sweep the floors on the tune split, per script group (vivim.retrieval.relevance): recall against
    no-answer precision. Pick the row that keeps recall and returns nothing for no-answer queries."""
    import dataclasses
    import itertools

    import vivim.retrieval.relevance as relevance

    original = (
        relevance.LATIN,
        relevance.UNKNOWN_WORDS,
        relevance.OTHER_SCRIPT,
        relevance.FIRST_PASS_LATIN,
        relevance.FIRST_PASS_UNKNOWN_WORDS,
        relevance.FIRST_PASS_OTHER_SCRIPT,
        relevance.WORD_FLOOR,
    )
    everything = evaluator.queries
    pick = relevance.first_pass_floor_for if first_pass else relevance.floor_for
    prefix = "FIRST_PASS_" if first_pass else ""
    grids = (
        (
            (
                "FIRST_PASS_LATIN",
                itertools.product((0.45, 0.50, 0.55, 0.60, 0.65), (0.30, 0.40), (0.25, 0.34, 0.5)),
            ),
            (
                "FIRST_PASS_UNKNOWN_WORDS",
                itertools.product((0.60, 0.70, 0.75, relevance.NEVER), (0.35, 0.45), (0.25, 0.34, 0.5)),
            ),
            (
                "FIRST_PASS_OTHER_SCRIPT",
                itertools.product((0.70, 0.80, relevance.NEVER), (0.45, 0.55), (0.25, 0.34, 0.5)),
            ),
        )
        if first_pass
        else (
            ("LATIN", itertools.product((0.38, 0.40, 0.42, 0.45), (0.27, 0.33), (0.25, 0.34, 0.5))),
            (
                "UNKNOWN_WORDS",
                itertools.product((0.45, 0.50, 0.52, 0.55, 0.60), (0.33, 0.40), (0.25, 0.34, 0.5)),
            ),
            (
                "OTHER_SCRIPT",
                itertools.product(
                    (0.65, 0.70, 0.75, 0.80, relevance.NEVER), (0.40, 0.45, 0.50), (0.25, 0.34, 0.5)
                ),
            ),
        )
    )
    try:
        for name, grid in grids:
            assert name.startswith(prefix)
            group = getattr(relevance, name)
            evaluator.queries = [
                q for q in everything if q[3] == "tune" and q[1] != "crosslingual" and (pick(q[0]) is group)
            ]
            print(f"\n== calibration on the tune split, {name} queries (n={len(evaluator.queries)}), hybrid")
            print(f"{'sure':>6}{'floor':>6}{'supp':>6}{'R@1':>7}{'R@5':>7}{'answered':>10}{'no-ans P':>10}")
            for sure, low, supp in grid:
                candidate = dataclasses.replace(group, sure_cosine=sure, floor_cosine=low, support=supp)
                setattr(relevance, name, candidate)
                evaluator.queries = [
                    q
                    for q in everything
                    if q[3] == "tune" and q[1] != "crosslingual" and (pick(q[0]) is candidate)
                ]
                m = evaluator.evaluate("hybrid", context=False)
                a, z = m["answerable"], m.get("noanswer", {"empty": float("nan")})
                print(
                    f"{sure:>6.2f}{low:>6.2f}{supp:>6.2f}{a['r1']:>7.3f}{a['r5']:>7.3f}{a['answered']:>10.3f}"
                    f"{z['empty']:>10.3f}"
                )
            setattr(relevance, name, group)
        if not first_pass:
            calibrate_multilingual(evaluator, everything)
        evaluator.queries = [q for q in everything if q[3] == "tune"]
        print("\n== word floor (full text only, tune split)")
        for word in (0.4, 0.5, 0.6, 0.7, 0.8, 1.0):
            relevance.WORD_FLOOR = word
            m = evaluator.evaluate("fulltext", context=False)
            a, z = m["answerable"], m.get("noanswer", {"empty": float("nan")})
            print(
                f"word {word:.2f}: R@1 {a['r1']:.3f} R@5 {a['r5']:.3f} answered {a['answered']:.3f}"
                f" no-ans P {z['empty']:.3f}"
            )
    finally:
        (
            relevance.LATIN,
            relevance.UNKNOWN_WORDS,
            relevance.OTHER_SCRIPT,
            relevance.FIRST_PASS_LATIN,
            relevance.FIRST_PASS_UNKNOWN_WORDS,
            relevance.FIRST_PASS_OTHER_SCRIPT,
            relevance.WORD_FLOOR,
        ) = original
        evaluator.queries = everything


MULTILINGUAL_GRIDS = {
    "MULTILINGUAL": ((0.84, 0.85, 0.86, 0.87, 0.88), (0.80, 0.82), (0.25, 0.34, 0.5)),
    "MULTILINGUAL_ENGLISH": ((0.81, 0.82, 0.83, 0.84, 0.85), (0.78, 0.80), (0.34,)),
}


def calibrate_multilingual(evaluator: Evaluator, everything: list[list[Any]]) -> None:
    """The multilingual space's floors (relevance.MULTILINGUAL for non-English and unknown-word
    queries, MULTILINGUAL_ENGLISH for English ones), on the tune split's queries that reach it:
    same-language non-English, cross-lingual and no-answer ones."""
    import dataclasses
    import itertools

    import vivim.retrieval.relevance as relevance

    for name, grid in MULTILINGUAL_GRIDS.items():
        original = getattr(relevance, name)
        evaluator.queries = [
            q
            for q in everything
            if q[3] == "tune"
            and q[1] in ("nonenglish", "crosslingual", "noanswer")
            and relevance.multilingual_floor_for(q[0]) is original
        ]
        kinds = {q[1] for q in evaluator.queries}
        print(
            f"\n== calibration on the tune split, {name} (n={len(evaluator.queries)}: {sorted(kinds)}), hybrid"
        )
        print(f"{'sure':>6}{'floor':>6}{'supp':>6}{'nonEN R@5':>10}{'cross R@5':>10}{'no-ans P':>10}")
        try:
            for sure, low, supp in itertools.product(*grid):
                setattr(
                    relevance,
                    name,
                    dataclasses.replace(original, sure_cosine=sure, floor_cosine=low, support=supp),
                )
                m = evaluator.evaluate("hybrid", context=False)
                nan = {"r5": float("nan"), "empty": float("nan")}
                print(
                    f"{sure:>6.2f}{low:>6.2f}{supp:>6.2f}{m.get('nonenglish', nan)['r5']:>10.3f}"
                    f"{m.get('crosslingual', nan)['r5']:>10.3f}{m.get('noanswer', nan)['empty']:>10.3f}"
                )
        finally:
            setattr(relevance, name, original)
            evaluator.queries = everything


def cosine_profile(evaluator: Evaluator, split: str = "tune", first_pass: bool = False) -> None:
    """Best cosine of the labelled conversation vs best cosine of any hit for no-answer queries
    (in the first-pass space with first_pass)."""
    from vivim.retrieval import first_pass as quick
    from vivim.retrieval.static_model import get_static_embedder
    from vivim.retrieval.vectors import knn as minilm_knn

    def knn(conn: Any, query_vector: Any, k: int, text: str) -> list[tuple[int, float]]:
        if first_pass:
            return quick.knn(conn, get_static_embedder().embed_query(text), k)
        return minilm_knn(conn, query_vector, k)

    relevant_best, noanswer_best = [], []
    conv_of = {
        r[0]: r[1]
        for r in evaluator.conn.execute(
            "SELECT ch.id, c.external_id FROM chunks ch JOIN messages m ON m.id = ch.message_id"
            " JOIN conversations c ON c.id = m.conversation_id"
        )
    }
    for query, kind, relevant, qsplit in evaluator.queries:
        if qsplit != split or kind == "crosslingual":
            continue
        hits = knn(evaluator.conn, evaluator.vectors[query], 50, query)
        if kind == "noanswer":
            noanswer_best.append(hits[0][1] if hits else 0.0)
        else:
            best = max((cos for cid, cos in hits if conv_of.get(cid) in relevant), default=0.0)
            relevant_best.append(best)

    def q(values: list[float], p: float) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, int(p * len(values)))] if values else float("nan")

    print(
        f"\n== cosine profile ({'first pass, ' if first_pass else ''}{split}, crosslingual left out): best cosine of the labelled conversation"
        f" (n={len(relevant_best)}) p5={q(relevant_best, 0.05):.3f} p10={q(relevant_best, 0.10):.3f}"
        f" median={q(relevant_best, 0.5):.3f};\n   best cosine of anything for no-answer queries"
        f" (n={len(noanswer_best)}) median={q(noanswer_best, 0.5):.3f} p90={q(noanswer_best, 0.9):.3f}"
        f" max={max(noanswer_best, default=float('nan')):.3f}"
    )


def multilingual_profile(evaluator: Evaluator, split: str) -> None:
    """In the multilingual space: the best cosine of the labelled conversation (same-language and
    cross-lingual queries) against the best cosine of anything for no-answer queries."""
    from vivim.retrieval import multilingual

    conv_of = {
        r[0]: r[1]
        for r in evaluator.conn.execute(
            "SELECT ch.id, c.external_id FROM chunks ch JOIN messages m ON m.id = ch.message_id"
            " JOIN conversations c ON c.id = m.conversation_id"
        )
    }
    rows: dict[str, list[float]] = defaultdict(list)
    for query, kind, relevant, qsplit in evaluator.queries:
        if qsplit != split or kind not in ("nonenglish", "crosslingual", "noanswer"):
            continue
        vector = multilingual.query_vector(evaluator.conn, query)
        hits = multilingual.knn(evaluator.conn, vector, 50) if vector is not None else []
        if kind == "noanswer":
            rows[kind].append(hits[0][1] if hits else 0.0)
        else:
            rows[kind].append(max((cos for cid, cos in hits if conv_of.get(cid) in relevant), default=0.0))

    def q(values: list[float], p: float) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, int(p * len(values)))] if values else float("nan")

    print(f"\n== multilingual space ({split}): best cosine")
    for kind, values in rows.items():
        print(
            f"   {kind:<13} n={len(values):<3} p5={q(values, 0.05):.3f} p10={q(values, 0.10):.3f}"
            f" median={q(values, 0.5):.3f} p90={q(values, 0.9):.3f} max={max(values, default=float('nan')):.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--keep", type=Path, help="build the archive in this folder and reuse it next time")
    parser.add_argument("--calibrate", action="store_true", help="sweep the floors on the tune split")
    parser.add_argument(
        "--fit-static",
        action="store_true",
        help="distil the first-pass model once per recipe candidate and choose on the tune split (~5 min)",
    )
    parser.add_argument("--no-context", action="store_true", help="skip context.build (faster)")
    parser.add_argument(
        "--no-multilingual",
        action="store_true",
        help="search without the multilingual space (vivim.retrieval.multilingual), as before it",
    )
    parser.add_argument(
        "--context-pins", type=int, help="override vivim.retrieval.prompt_context.SEARCH_PINS (0: as before)"
    )
    parser.add_argument(
        "--first-pass",
        choices=("only", "mixed"),
        help="search a copy where the first pass (static model) stands in for MiniLM on all or half the chunks",
    )
    args = parser.parse_args()

    from vivim.retrieval.embedding import get_embedder
    from vivim.store.connection import connect_sync

    if args.context_pins is not None:
        import vivim.retrieval.prompt_context

        vivim.retrieval.prompt_context.SEARCH_PINS = args.context_pins
    conversations, queries = load_set()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="vivim-quality-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "vivim.sqlite3"
    if not db.exists():
        built = build_archive(db, conversations)
        print(
            f"archive: {built['conversations']} conversations, {built['messages']} messages imported in"
            f" {built['import_s']:.1f} s; {built['chunks_embedded']} chunks embedded in"
            f" {built['embed_s']:.1f} s; {built['multilingual']} not in English given a multilingual vector in"
            f" {built['multilingual_s']:.1f} s"
        )
    if args.first_pass:
        db = first_pass_copy(db, args.first_pass)
    if args.no_multilingual:
        import vivim.retrieval.multilingual

        vivim.retrieval.multilingual.query_vector = lambda conn, query: None  # type: ignore[assignment]
    else:  # searches do not wait for a build: load (and if need be build) the model first
        from vivim.retrieval.multilingual_model import get_multilingual_embedder

        get_multilingual_embedder().ensure_loaded()
    embedder = get_embedder()
    embedder.ensure_loaded()
    print_provenance()
    if args.fit_static:
        fit_static(db, queries, embedder)
        return
    conn = connect_sync(db)
    evaluator = Evaluator(conn, queries, embedder)
    import vivim.retrieval.relevance as relevance

    print(
        f"set: {len(conversations)} conversations, {len(queries)} queries; floors: {relevance.LATIN},"
        f" {relevance.OTHER_SCRIPT}, word {relevance.WORD_FLOOR}"
    )
    cosine_profile(evaluator, "tune", args.first_pass == "only")
    cosine_profile(evaluator, "holdout", args.first_pass == "only")
    if not args.no_multilingual:
        multilingual_profile(evaluator, "tune")
    for split in SPLITS:
        results = {mode: evaluator.evaluate(mode, context=not args.no_context, split=split) for mode in MODES}
        results["hybrid-raw"] = evaluator.evaluate("hybrid", floor=False, context=False, split=split)
        print_table(f"{split} split (hybrid-raw: the same fusion without the relevance floor)", results)
        full_text_in_hybrid(evaluator, split)
    if args.calibrate:
        calibrate(evaluator, first_pass=args.first_pass == "only")
    conn.close()


if __name__ == "__main__":
    main()
