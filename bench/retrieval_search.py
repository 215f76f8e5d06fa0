"""Search latency and recall at scale: vec0 float vs int8 vs bit+rescore, hybrid search, context.build.

    python bench/retrieval_search.py                 # 10k and 100k chunks (~2 min)
    python bench/retrieval_search.py --sizes 1000000 # 1M (builds for a long while)

The corpus is synthetic but shaped like real captures: chunk texts of log-normal length (median
~450 characters, at most 1,600) drawn from the model's English vocabulary with a Zipf word
distribution, 10 chunks per conversation, three providers, two years of dates. Vectors are unit
vectors around 512 topic centroids (what real embeddings look like from far away: clustered, not
uniform), so recall of the quantized scans against the exact float scan is meaningful. The query
vector is given (query embedding time is in bench/retrieval_embed.py: ~10-20 ms). Figures are
printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as vivim.retrieval.vectors sets it in the host

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "host"))

import vivim.retrieval.bit_index as bit_index
from vivim.retrieval.embedding import DIM, TOKENIZER_DIR
from vivim.retrieval.filters import Filters
from vivim.retrieval.prompt_context import build_context
from vivim.retrieval.search import search
from vivim.retrieval.vectors import knn
from vivim.store.connection import connect_sync
from vivim.store.migrations import apply_migrations

PROVIDERS = ("chatgpt", "claude", "gemini")
CENTROIDS = 512
QUERIES = 60
RNG_SEED = 7
DEFAULT_MIN_ROWS = bit_index.MIN_ROWS


def vocabulary() -> list[str]:
    vocab = json.loads((TOKENIZER_DIR / "tokenizer.json").read_text())["model"]["vocab"]
    words = [
        w for w, i in sorted(vocab.items(), key=lambda kv: kv[1]) if w.isalpha() and len(w) >= 3 and i > 1999
    ]
    return words


def build(
    path: Path, n: int, rng: np.random.Generator, baselines: bool = True
) -> tuple[np.ndarray, list[str], np.ndarray]:
    words = vocabulary()
    zipf = 1.0 / np.arange(1, len(words) + 1) ** 1.05
    zipf /= zipf.sum()
    centroids = rng.standard_normal((CENTROIDS, DIM)).astype(np.float32)
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    conn = connect_sync(path)
    apply_migrations(conn)
    conn.execute("PRAGMA synchronous = OFF")
    if baselines:
        conn.execute(
            f"CREATE VIRTUAL TABLE bench_float USING vec0 (chunk_id INTEGER PRIMARY KEY, embedding float[{DIM}])"
        )
        conn.execute(
            f"CREATE VIRTUAL TABLE bench_int8 USING vec0 (chunk_id INTEGER PRIMARY KEY, embedding int8[{DIM}])"
        )
    now = 1_760_000_000.0
    batch = 5000
    all_vectors = np.zeros((n, DIM), dtype=np.float32)
    conn.execute("BEGIN")
    for start in range(0, n, batch):
        count = min(batch, n - start)
        ids = np.arange(start + 1, start + count + 1)
        conv_ids = (ids - 1) // 10 + 1
        for conv in sorted(set(conv_ids.tolist())):
            conn.execute(
                "INSERT OR IGNORE INTO conversations (id, provider, external_id, title, url, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    conv,
                    PROVIDERS[conv % 3],
                    f"x{conv}",
                    f"Conversation {conv}",
                    f"https://example.test/{conv}",
                    now,
                    now,
                ),
            )
        lengths = np.clip(rng.lognormal(np.log(75), 0.6, count).astype(int), 3, 260)
        created = now - rng.uniform(0, 730 * 86400, count)
        drawn = rng.choice(len(words), size=int(lengths.sum()), p=zipf)
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        texts = [" ".join(words[j] for j in drawn[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
        conn.executemany(
            "INSERT INTO messages (id, conversation_id, key, role, markdown, text, content_hash, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (int(i), int(c), f"k{i}", "user" if i % 2 else "assistant", t, t, str(i), float(d), float(d))
                for i, c, t, d in zip(ids, conv_ids, texts, created)
            ],
        )
        conn.executemany(
            "INSERT INTO chunks (id, message_id, ordinal, text, embedded) VALUES (?, ?, 0, ?, 1)",
            [(int(i), int(i), t) for i, t in zip(ids, texts)],
        )
        topic = rng.integers(0, CENTROIDS, count)
        vectors = centroids[topic] + 0.09 * rng.standard_normal((count, DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        all_vectors[start : start + count] = vectors
        rows = [(int(i), v.tobytes()) for i, v in zip(ids, vectors)]
        meta = {
            int(i): (int(c), PROVIDERS[int(c) % 3], "user" if i % 2 else "assistant", float(d))
            for i, c, d in zip(ids, conv_ids, created)
        }
        conn.executemany(
            "INSERT INTO chunk_vectors (chunk_id, embedding, conversation_id, provider, role, created_at)"
            " VALUES (?, vec_quantize_binary(?), ?, ?, ?, ?)",
            [(i, b, *meta[i]) for i, b in rows],
        )
        conn.executemany(
            "INSERT INTO chunk_embeddings (chunk_id, vector) VALUES (?, ?)",
            [(i, v.astype(np.float16).tobytes()) for (i, _), v in zip(rows, vectors)],
        )
        if baselines:
            conn.executemany("INSERT INTO bench_float (chunk_id, embedding) VALUES (?, ?)", rows)
            conn.executemany(
                "INSERT INTO bench_int8 (chunk_id, embedding) VALUES (?, vec_quantize_int8(?, 'unit'))", rows
            )
        print(f"  built {start + count}/{n}", end="\r", file=sys.stderr)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    queries_words = [
        " ".join(rng.choice(words[200:3000], size=int(rng.integers(1, 4)))) for _ in range(QUERIES)
    ]
    query_vectors = centroids[rng.integers(0, CENTROIDS, QUERIES)] + 0.12 * rng.standard_normal(
        (QUERIES, DIM)
    )
    query_vectors = (query_vectors / np.linalg.norm(query_vectors, axis=1, keepdims=True)).astype(np.float32)
    return query_vectors, queries_words, all_vectors


def timed(fn, *args) -> tuple[list[float], list]:
    times, results = [], []
    for a in zip(*args):
        started = time.perf_counter()
        results.append(fn(*a))
        times.append((time.perf_counter() - started) * 1000)
    return times, results


def pct(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"p50 {statistics.median(ordered):7.1f} ms  p95 {p95:7.1f} ms"


def recall(found: list[list[int]], truth: list[list[int]]) -> float:
    return statistics.mean(len(set(f) & set(t)) / len(t) for f, t in zip(found, truth))


def run(n: int, keep: Path | None, baselines: bool) -> None:
    rng = np.random.default_rng(RNG_SEED)
    with tempfile.TemporaryDirectory() as tmp:
        path = keep / f"bench-{n}.sqlite3" if keep else Path(tmp) / "bench.sqlite3"
        if keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        started = time.perf_counter()
        qvecs, qwords, matrix = build(path, n, rng, baselines)
        print(
            f"\n== {n:,} chunks (built in {time.perf_counter() - started:.0f} s,"
            f" {path.stat().st_size / 1e6:.0f} MB)"
        )
        conn = connect_sync(path)
        k = 10

        def vec0(table: str, q: np.ndarray, quant: str) -> list[int]:
            rows = conn.execute(
                f"SELECT chunk_id FROM {table} WHERE embedding MATCH {quant} AND k = ?", (q.tobytes(), k)
            ).fetchall()
            return [r[0] for r in rows]

        bit_index.MIN_ROWS = 10**12  # first the vec0 scan alone
        knn(conn, qvecs[0], k)  # warm the page cache
        t_np, truth = timed(lambda q: (np.argpartition(-(matrix @ q), k)[:k] + 1).tolist(), qvecs)
        t_bit, r_bit = timed(lambda q: [i for i, _ in knn(conn, q, k)], qvecs)
        t_bit4, r_bit4 = timed(lambda q: [i for i, _ in knn(conn, q, k, candidates=400)], qvecs)
        t_bit_f, _ = timed(lambda q: knn(conn, q, k, Filters(provider="claude")), qvecs)
        print(f"  KNN top-{k} brute force numpy (in RAM)  {pct(t_np)}  recall@10 1.000 (truth)")
        if baselines:
            vec0("bench_float", qvecs[0], "?"), vec0("bench_int8", qvecs[0], "vec_quantize_int8(?, 'unit')")
            t_float, r_float = timed(lambda q: vec0("bench_float", q, "?"), qvecs)
            t_int8, r_int8 = timed(lambda q: vec0("bench_int8", q, "vec_quantize_int8(?, 'unit')"), qvecs)
            print(
                f"  KNN vec0 float[384] exact             {pct(t_float)}  recall@10 {recall(r_float, truth):.3f}"
            )
            print(
                f"  KNN vec0 int8[384]                    {pct(t_int8)}  recall@10 {recall(r_int8, truth):.3f}"
            )
        print(f"  KNN vec0 bit[384] + f16 rescore 100   {pct(t_bit)}  recall@10 {recall(r_bit, truth):.3f}")
        print(f"  ... re-ranking 400 candidates         {pct(t_bit4)}  recall@10 {recall(r_bit4, truth):.3f}")
        print(f"  ... 100, with a provider filter       {pct(t_bit_f)}")
        bit_index.MIN_ROWS = DEFAULT_MIN_ROWS
        bit_index._small_until.clear()
        index = bit_index.index_for(conn)
        if index is not None:
            started = time.perf_counter()
            index.refresh(conn)
            index.wait_loaded(600)
            print(
                f"  in-memory bit index (used from {DEFAULT_MIN_ROWS:,} chunks): loaded in"
                f" {time.perf_counter() - started:.1f} s"
            )
            t_mem, r_mem = timed(lambda q: [i for i, _ in knn(conn, q, k)], qvecs)
            import vivim.retrieval.vectors as vectors_module

            vectors_module.IN_MEMORY_RESCORE_CANDIDATES = 100
            t_mem1, r_mem1 = timed(lambda q: [i for i, _ in knn(conn, q, k)], qvecs)
            vectors_module.IN_MEMORY_RESCORE_CANDIDATES = 400
            t_mem_f, _ = timed(lambda q: knn(conn, q, k, Filters(provider="claude")), qvecs)
            print(
                f"  KNN in-memory bit + f16 rescore 400   {pct(t_mem)}  recall@10 {recall(r_mem, truth):.3f}"
            )
            print(
                f"  KNN in-memory bit + f16 rescore 100   {pct(t_mem1)}  recall@10 {recall(r_mem1, truth):.3f}"
            )
            print(f"  ... with a provider filter            {pct(t_mem_f)}")
        print("  (searches below use the vector scan the host would use at this size)")
        t_h, r_h = timed(lambda w, q: search(conn, w, Filters(), 20, q), qwords, qvecs)
        t_ft, _ = timed(lambda w: search(conn, w, Filters(), 20, None, "fulltext"), qwords)
        t_hf, _ = timed(
            lambda w, q: search(conn, w, Filters(provider="gemini", since=1_740_000_000), 20, q),
            qwords,
            qvecs,
        )
        assert all(r["mode"] == "hybrid" for r in r_h)
        print(f"  search hybrid (RRF, grouped, snippets) {pct(t_h)}")
        print(f"  search hybrid + provider/date filter  {pct(t_hf)}")
        print(f"  search full text only                 {pct(t_ft)}")
        drafts = [" ".join(rng.choice(qwords, size=6)) for _ in range(30)]
        dvecs = qvecs[:30]
        build_context(conn, drafts[0], dvecs[0])  # loads the tokenizer once
        t_ctx, _ = timed(lambda d, q: build_context(conn, d, q, token_budget=800), drafts, dvecs)
        print(f"  context.build (budget 800)            {pct(t_ctx)}")
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated chunk counts")
    parser.add_argument("--keep", type=Path, help="build the databases in this folder and keep them")
    parser.add_argument(
        "--no-vec0-baselines",
        action="store_true",
        help="skip the float/int8 vec0 tables (they triple the build at 1M)",
    )
    args = parser.parse_args()
    for n in (int(s) for s in args.sizes.split(",")):
        run(n, args.keep, not args.no_vec0_baselines)


if __name__ == "__main__":
    main()
