"""Embedding: model load time, throughput (chunks/s) at two text lengths, RSS, and quantization recall.

python bench/retrieval_embed.py              # load, throughput, RSS (~1 min)
python bench/retrieval_embed.py --recall 2000  # also recall@10 of int8 / bit+rescore on real
                                               # embeddings of 2,000 texts (~1 more minute)
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "host"))

from vivim.retrieval.embedding import BATCH_SIZE, Embedder, token_counter

SENTENCES = [
    "How do I configure nginx as a reverse proxy for a Flask application running on port 5000?",
    "The sourdough starter smells of acetone, which means the yeast is hungry and needs feeding.",
    "Create a composite index on customer id and created at to avoid a sequential scan in Postgres.",
    "Barre chords buzz when the index finger is too flat; roll it slightly onto its side.",
    "A fixed rate mortgage gives predictable payments while a variable rate tracks the central bank.",
    "TaskGroup cancels the remaining tasks when one fails and raises an ExceptionGroup.",
    "Early blight on tomato leaves shows as yellowing with brown concentric spots.",
    "Keep a fixed wake-up time and get daylight in the morning to fall asleep faster at night.",
]


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def texts_of(tokens: int, n: int, rng: np.random.Generator) -> list[str]:
    counter = token_counter()
    out = []
    for _ in range(n):
        text = ""
        while counter.count(text) < tokens:
            text += " " + SENTENCES[int(rng.integers(len(SENTENCES)))]
        out.append(counter.truncate(text.strip(), tokens))
    return out


def throughput(embedder: Embedder, texts: list[str]) -> float:
    started = time.perf_counter()
    for i in range(0, len(texts), BATCH_SIZE):
        embedder.embed(texts[i : i + BATCH_SIZE])
    return len(texts) / (time.perf_counter() - started)


def recall_on_real(embedder: Embedder, n: int, rng: np.random.Generator) -> None:
    import json

    from vivim.retrieval.embedding import TOKENIZER_DIR
    from vivim.store.connection import connect_sync

    vocab = [
        w
        for w in json.loads((TOKENIZER_DIR / "tokenizer.json").read_text())["model"]["vocab"]
        if w.isalpha() and len(w) >= 3
    ]
    docs = [
        " ".join(
            SENTENCES[int(j)] if rng.random() < 0.3 else str(rng.choice(vocab))
            for j in rng.integers(0, len(SENTENCES), int(rng.integers(8, 40)))
        )
        for _ in range(n)
    ]
    started = time.perf_counter()
    matrix = np.concatenate([embedder.embed(docs[i : i + BATCH_SIZE]) for i in range(0, n, BATCH_SIZE)])
    print(f"embedded {n} texts for the recall test in {time.perf_counter() - started:.0f} s")
    queries = embedder.embed([" ".join(str(w) for w in rng.choice(vocab, 4)) for _ in range(50)] + SENTENCES)
    conn = connect_sync(":memory:")
    conn.execute("CREATE VIRTUAL TABLE f USING vec0 (id INTEGER PRIMARY KEY, e int8[384])")
    conn.execute("CREATE VIRTUAL TABLE b USING vec0 (id INTEGER PRIMARY KEY, e bit[384])")
    for i, v in enumerate(matrix):
        conn.execute("INSERT INTO f VALUES (?, vec_quantize_int8(?, 'unit'))", (i, v.tobytes()))
        conn.execute("INSERT INTO b VALUES (?, vec_quantize_binary(?))", (i, v.tobytes()))
    half = matrix.astype(np.float16).astype(np.float32)
    for name, query_sql, pool in (
        ("int8", "vec_quantize_int8(?, 'unit')", 10),
        ("bit+rescore 100", None, 100),
        ("bit+rescore 400", None, 400),
    ):
        recalls = []
        for q in queries:
            truth = set(np.argsort(-(matrix @ q))[:10].tolist())
            table, quant = ("f", query_sql) if query_sql else ("b", "vec_quantize_binary(?)")
            ids = [
                r[0]
                for r in conn.execute(
                    f"SELECT id FROM {table} WHERE e MATCH {quant} AND k = ?", (q.tobytes(), pool)
                )
            ]
            if not query_sql:
                ids = sorted(ids, key=lambda i: -float(half[i] @ q))[:10]
            recalls.append(len(truth & set(ids)) / 10)
        print(f"recall@10 {name:16s} {statistics.mean(recalls):.3f}  (real MiniLM vectors, {n} texts)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--count", type=int, default=160)
    parser.add_argument("--recall", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(3)
    base = rss_mb()
    started = time.perf_counter()
    embedder = Embedder(threads=args.threads)
    embedder.ensure_loaded()
    print(
        f"model load (import + session): {time.perf_counter() - started:.2f} s;"
        f" RSS {base:.0f} MB -> {rss_mb():.0f} MB"
    )
    started = time.perf_counter()
    embedder.embed_query("warm up")
    for tokens in (16, 100, 250):
        texts = texts_of(tokens, args.count if tokens > 16 else 64, rng)
        rate = throughput(embedder, texts)
        print(
            f"throughput at ~{tokens:3d} tokens, batch {BATCH_SIZE}, {args.threads} thread(s): {rate:6.1f} chunks/s"
        )
    print(f"RSS after embedding: {rss_mb():.0f} MB")
    if args.recall:
        recall_on_real(embedder, args.recall, rng)


if __name__ == "__main__":
    main()
