"""The trigram index for unspaced scripts (vivim.retrieval.unspaced): its size, its backfill, and query latency.

    python bench/unspaced_search.py                    # 100,000 chunks, 10% of them Japanese/Chinese
    python bench/unspaced_search.py --chunks 20000 --cjk 0.3

Builds a real SQLite file with the schema up to migration 6, fills it (English chunks of ~60 words,
CJK chunks of ~150 characters made of real words without spaces), then applies migration 7 (the
backfill of the trigram index) and times it, prints the index's size (dbstat) against the unicode61
index and the whole file, and the latency (median of 20 runs) of full-text search for: a 3+ character
term, a 2-character term, a 1-character term, a long phrase matched by near-match, and an English query
(what the trigram hook costs a query that has no CJK at all).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "host"))

from vivim.retrieval.search import search_fulltext
from vivim.retrieval.unspaced import unspaced_ranking
from vivim.store import migrations
from vivim.store.connection import connect_sync

EN_WORDS = (
    "the a to of and in is for on with configure proxy server database index query sourdough starter "
    "flour water mortgage rate payment tomato leaves blight guitar chord finger sleep morning light "
    "commit branch reset python list sort key value cache memory thread process network packet"
).split()
JA_WORDS = (
    "東京 大阪 京都 天気 今日 明日 昨日 会社 仕事 電車 駅 時間 ラーメン 寿司 写真 旅行 予約 ホテル "
    "展望台 夜景 地震 避難 面接 転職 料理 野菜 病院 薬 学校 先生 友達 家族 週末 映画 音楽 "
    "の は が を に で と も から まで です ます でした 高さ 新しい 古い 美しい"
).split()
ZH_WORDS = (
    "北京 上海 故宫 门票 预约 租房 合同 房东 空调 绿茶 水温 跑步 膝盖 公司 工作 时间 地铁 "
    "医院 学校 老师 朋友 家人 周末 电影 音乐 的 了 是 在 和 也 很 我们 他们 需要 可以"
).split()


def english(rng: random.Random) -> str:
    return " ".join(rng.choice(EN_WORDS) for _ in range(60)).capitalize() + "."


def cjk(rng: random.Random) -> str:
    words = JA_WORDS if rng.random() < 0.5 else ZH_WORDS
    text = ""
    while len(text) < 150:
        text += rng.choice(words) + ("。" if rng.random() < 0.08 else "")
    return text


def build(db: Path, chunks: int, share: float) -> int:
    rng = random.Random(11)
    conn = connect_sync(db)
    keep = migrations.MIGRATIONS
    migrations.MIGRATIONS = [m for m in keep if m.version < 7]
    try:
        migrations.apply_migrations(conn)
    finally:
        migrations.MIGRATIONS = keep
    now = time.time()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO conversations (id, provider, external_id, created_at, updated_at)"
        " VALUES (?, 'chatgpt', ?, ?, ?)",
        [(c, f"c{c}", now, now) for c in range(1, 1001)],
    )
    n_cjk = 0
    for i in range(chunks):
        text = cjk(rng) if rng.random() < share else english(rng)
        n_cjk += text[0] > "\u2e80"
        conn.execute(
            "INSERT INTO messages (id, conversation_id, key, role, markdown, text, content_hash,"
            " created_at, updated_at) VALUES (?, ?, ?, 'assistant', ?, ?, ?, ?, ?)",
            (i + 1, i % 1000 + 1, f"k{i}", text, text, f"h{i}", now - i, now - i),
        )
        conn.execute(
            "INSERT INTO chunks (message_id, ordinal, text, embedded) VALUES (?, 0, ?, 1)", (i + 1, text)
        )
    conn.execute("COMMIT")
    conn.close()
    return n_cjk


def size_mb(conn, prefix: str) -> float:
    row = conn.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE ?", (prefix + "%",)).fetchone()
    return (row[0] or 0) / 1e6


def latency_ms(conn, query: str, runs: int = 20) -> tuple[float, int]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = search_fulltext(conn, query)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(result["results"])


def latency_of(fn, runs: int = 20) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--cjk", type=float, default=0.1, help="share of chunks in Japanese/Chinese")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "vivim.sqlite3"
        started = time.perf_counter()
        n_cjk = build(db, args.chunks, args.cjk)
        print(f"built {args.chunks} chunks ({n_cjk} CJK) in {time.perf_counter() - started:.0f} s")
        conn = connect_sync(db)
        started = time.perf_counter()
        migrations.apply_migrations(conn)  # migration 7: create and backfill the trigram index
        print(f"migration 7 (trigram index backfill): {time.perf_counter() - started:.1f} s")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        chunks_mb = size_mb(conn, "chunks") - size_mb(conn, "chunks_fts") - size_mb(conn, "chunks_unspaced")
        print(
            f"sizes: chunks table {chunks_mb:.1f} MB, unicode61 index {size_mb(conn, 'chunks_fts'):.1f} MB,"
            f" trigram index {size_mb(conn, 'chunks_unspaced'):.1f} MB, file {os.path.getsize(db) / 1e6:.1f} MB"
        )
        for label, query in (
            ("3+ chars", "展望台"),
            ("2 chars", "天気"),
            ("1 char", "駅"),
            ("near match", "東京の天気予報"),
            ("two words", "北京 门票"),
            ("absent", "量子力学"),
            ("absent 1-2", "鮨屋"),
            ("English", "configure proxy"),
        ):
            ms, groups = latency_ms(conn, query)
            alone = latency_of(lambda: unspaced_ranking(conn, query))
            print(
                f"{label:10s} {query:10s} search {ms:7.1f} ms, of which trigram side {alone:6.1f} ms"
                f"  ({groups} conversations)"
            )
        one, five, _ = os.getloadavg()
        print(f"load {one:.2f}/{five:.2f} on {os.cpu_count()} cores")
        conn.close()


if __name__ == "__main__":
    main()
