"""Backfill: chunks/s through the real path (SQLite file -> vivim.retrieval.backfill -> vectors written) and RSS.

    python bench/embed_backfill.py                 # throughput of each configuration, 640 chunks each
    python bench/embed_backfill.py --count 2000    # longer runs
    python bench/embed_backfill.py --rss 4000      # RSS over a long run, arena on vs off (~2-4 min)

Each configuration runs in its own process (RSS and onnxruntime sessions are per process) on a fresh
copy of one database of chunks of 60-140 tokens (~100 on average), and prints chunks/s, the time a
100,000-chunk backfill would take at that rate, chunks per CPU second of the process (what one idle
core would do: contention inflates wall time far more than CPU time), and RSS after loading / at the
end. The machine's load average is printed with every line: on a shared machine, compare ratios.

Configurations:
  before        the shipped model (float32 arithmetic), batches of 8 in id order, 1 thread: the
                worker before vivim.retrieval.backfill and vivim.retrieval.quantize
  f32-sorted-1  the shipped model, windows of 64 sorted by length, batches of 16, 1 worker
  sorted-1      the same with the int8-arithmetic model (vivim.retrieval.quantize), as the worker runs now
  sorted-2   the same on 2 concurrent workers (one session, 1 intra-op thread each)
  intra-2    batches of 16, one session with 2 intra-op threads (what `reindex` used to do)
  first-pass the fast first pass (vivim.retrieval.static_model / first_pass): every chunk gets a
             static-model vector, windows of 2048 written per transaction (MiniLM is loaded too,
             untouched, so "RSS loaded" is the worker's with both models); the tokenizer on all cores
             (as `vivim reindex` runs it)
  first-pass-1  the same, tokenizing on the calling thread only (as the background worker runs it)
  multilingual-1  chunks not in English (Russian, German, Spanish, Japanese, Chinese) given their
                multilingual-e5-small vector (vivim.retrieval.multilingual, reindex.multilingual_all), one
                thread, as the background worker runs it; MiniLM is loaded too, so "RSS loaded" is a
                worker's with both models
  multilingual-2  the same on 2 threads (as `vivim reindex` runs it on this machine)

    python bench/embed_backfill.py --configs first-pass --count 100000   # the real 100k first pass
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST = Path(__file__).resolve().parents[1] / "host"
sys.path.insert(0, str(HOST))

SENTENCES = [
    "How do I configure nginx as a reverse proxy for a Flask application running on port 5000?",
    "The sourdough starter smells of acetone, which means the yeast is hungry and needs feeding.",
    "Create a composite index on customer id and created at to avoid a sequential scan in Postgres.",
    "Barre chords buzz when the index finger is too flat; roll it slightly onto its side.",
    "A fixed rate mortgage gives predictable payments while a variable rate tracks the central bank.",
    "TaskGroup cancels the remaining tasks when one fails and raises an ExceptionGroup.",
    "Early blight on tomato leaves shows as yellowing with brown concentric spots.",
    "Keep a fixed wake-up time and get daylight in the morning to fall asleep faster at night.",
    "The invoice total excludes VAT; the customer in Lyon pays it on delivery.",
    "Use git reflog to find the commit you lost after a hard reset.",
]
# Chunks not in English, for the multilingual space's configurations.
OTHER_SENTENCES = [
    "Подсушите ржаной хлеб в духовке до тёмных сухарей и залейте кипятком на четыре часа.",
    "Если аккумулятор машины садится за ночь, проверьте ток утечки мультиметром.",
    "Wenn die Heizung gluckert, ist Luft im System: Heizkörper entlüften und den Druck prüfen.",
    "Der Wechselrichter darf bis zu 800 Watt einspeisen, die Module zusammen bis 2000 Watt.",
    "Para quitar la cal de la mampara, usa vinagre caliente y deja actuar media hora.",
    "El contrato de alquiler se puede rescindir con dos meses de preaviso por escrito.",
    "東京タワーの展望台からは天気が良ければ富士山が見えます。夜景もきれいです。",
    "転職の面接では、前の会社を辞めた理由を前向きに説明しましょう。",
    "泡绿茶的水温不要太高，八十度左右最好，第一泡三十秒就可以倒出来。",
    "初学跑步的人每周跑三次、每次二十分钟就够了，避免膝盖受伤。",
]
CONFIGS = (
    "before",
    "f32-sorted-1",
    "sorted-1",
    "sorted-2",
    "intra-2",
    "first-pass",
    "first-pass-1",
    "multilingual-1",
    "multilingual-2",
)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f} on {os.cpu_count()} cores"


def build(db: Path, count: int, sentences: list[str] = SENTENCES) -> None:
    """`count` chunks of 60-140 tokens (one message each), nothing embedded."""
    import numpy as np

    from vivim.protocol import CaptureUpsert, ConversationIn, TurnIn
    from vivim.retrieval.embedding import token_counter
    from vivim.store.capture import upsert_capture
    from vivim.store.connection import connect_sync
    from vivim.store.migrations import apply_migrations

    rng = np.random.default_rng(7)
    counter = token_counter()
    conn = connect_sync(db)
    apply_migrations(conn)
    conn.execute("BEGIN IMMEDIATE")
    for i in range(count):
        tokens = int(rng.integers(60, 141))
        text = ""
        while counter.count(text) < tokens:
            text += " " + sentences[int(rng.integers(len(sentences)))]
        text = counter.truncate(text.strip(), tokens) + f" (note {i})"
        upsert_capture(
            conn,
            CaptureUpsert(
                conversation=ConversationIn(provider="chatgpt", external_id=f"c{i}"),
                turns=[TurnIn(key="t", role="assistant", text=text)],
            ),
        )
    conn.execute("COMMIT")
    conn.close()


def run_config(config: str, db: Path, arena: bool, sample_rss: bool) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    import vivim.store  # noqa: F401  # first: vivim.retrieval.vectors imported alone is an import cycle
    from vivim.retrieval.backfill import WINDOW, embed_window
    from vivim.retrieval.embedding import Embedder, trim_memory
    from vivim.retrieval.vectors import pending_chunks, store_vectors
    from vivim.store.connection import connect_sync

    if config in ("before", "f32-sorted-1"):
        os.environ["VIVIM_EMBED_QUANTIZE"] = "0"
    base = rss_mb()
    if config.startswith("first-pass"):
        return run_first_pass(db, base, parallel=config == "first-pass")
    if config.startswith("multilingual"):
        return run_multilingual(db, base, workers=int(config[-1]))
    embedder = Embedder(threads=2 if config == "intra-2" else 1, arena=arena, wait_for_int8=True)
    embedder.ensure_loaded()
    embedder.embed(["warm up"])
    loaded = rss_mb()
    conn = connect_sync(db)
    workers = 2 if config == "sorted-2" else 1
    config = "sorted" if config == "f32-sorted-1" else config
    samples = []
    done = 0
    cpu_started = sum(os.times()[:2])
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        while True:
            if config == "before":
                batch = pending_chunks(conn, 8)
                if not batch:
                    break
                ids, texts = [i for i, _ in batch], [t for _, t in batch]
                vectors = embedder.embed(texts, 8)
            else:
                batch = pending_chunks(conn, WINDOW)
                if not batch:
                    break
                ids, texts, vectors = embed_window(embedder, batch, workers, pool)
                if not arena:
                    trim_memory()
            conn.execute("BEGIN IMMEDIATE")
            done += store_vectors(conn, ids, texts, vectors)
            conn.execute("COMMIT")
            if sample_rss:
                samples.append(rss_mb())
    seconds = time.perf_counter() - started
    cpu = sum(os.times()[:2]) - cpu_started
    conn.close()
    return {
        "config": config,
        "arena": arena,
        "chunks": done,
        "seconds": seconds,
        "rate": done / seconds,
        "cpu_seconds": cpu,
        "per_cpu_second": done / cpu,
        "rss_base": base,
        "rss_loaded": loaded,
        "rss_end": rss_mb(),
        "rss_samples": samples,
    }


def run_first_pass(db: Path, base: float, parallel: bool = True) -> dict:
    from vivim.retrieval.embedding import Embedder
    from vivim.retrieval.reindex import first_pass_all
    from vivim.retrieval.static_model import StaticEmbedder
    from vivim.store.connection import connect_sync

    minilm = Embedder(threads=1, wait_for_int8=True)
    minilm.ensure_loaded()
    minilm.embed(["warm up"])
    static = StaticEmbedder()
    static.ensure_loaded()
    static.embed(["warm up"])
    loaded = rss_mb()
    conn = connect_sync(db)
    samples: list[float] = []
    cpu_started = sum(os.times()[:2])
    started = time.perf_counter()
    done = first_pass_all(conn, static, progress=lambda _n: samples.append(rss_mb()), parallel=parallel)
    seconds = time.perf_counter() - started
    cpu = sum(os.times()[:2]) - cpu_started
    rss_pass = rss_mb()
    # What a search pays while the archive is first-pass only: the scan, and the whole `search`.
    from vivim.retrieval import first_pass
    from vivim.retrieval.search import Filters, search

    scans, searches = [], []
    for sentence in SENTENCES:
        vector = static.embed_query(sentence)
        t0 = time.perf_counter()
        first_pass.knn(conn, vector, 50)
        scans.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        search(conn, sentence, Filters(), 20, None)
        searches.append(time.perf_counter() - t0)
    rss_search = rss_mb()
    conn.close()
    return {
        "scan_ms": 1000 * sorted(scans)[len(scans) // 2],
        "search_ms": 1000 * sorted(searches)[len(searches) // 2],
        "rss_after_search": rss_search,
        "rss_after_pass": rss_pass,
        **pass_result(
            "first-pass" if parallel else "first-pass-1", done, seconds, cpu, base, loaded, samples
        ),
    }


def pass_result(
    config: str, done: int, seconds: float, cpu: float, base: float, loaded: float, samples: list[float]
) -> dict:
    """The figures every configuration reports."""
    return {
        "config": config,
        "arena": False,
        "chunks": done,
        "seconds": seconds,
        "rate": done / seconds,
        "cpu_seconds": cpu,
        "per_cpu_second": done / cpu,
        "rss_base": base,
        "rss_loaded": loaded,
        "rss_end": rss_mb(),
        "rss_max": max([rss_mb(), *samples]),
        "rss_samples": samples,
    }


def run_multilingual(db: Path, base: float, workers: int) -> dict:
    from vivim.retrieval.embedding import Embedder
    from vivim.retrieval.multilingual_model import MultilingualEmbedder
    from vivim.retrieval.reindex import multilingual_all
    from vivim.store.connection import connect_sync

    minilm = Embedder(threads=1, wait_for_int8=True)
    minilm.ensure_loaded()
    minilm.embed(["warm up"])
    e5 = MultilingualEmbedder(threads=1)
    e5.ensure_loaded()
    e5.embed(["разогрев"])
    loaded = rss_mb()
    conn = connect_sync(db)
    samples: list[float] = []
    cpu_started = sum(os.times()[:2])
    started = time.perf_counter()
    done = multilingual_all(conn, e5, progress=lambda _n: samples.append(rss_mb()), workers=workers)
    seconds = time.perf_counter() - started
    cpu = sum(os.times()[:2]) - cpu_started
    conn.close()
    return pass_result(f"multilingual-{workers}", done, seconds, cpu, base, loaded, samples)


def child(args: argparse.Namespace) -> None:
    result = run_config(args.child, Path(args.db), args.arena, args.sample_rss)
    print(json.dumps(result))


def spawn(config: str, template: Path, arena: bool = False, sample_rss: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "vivim.sqlite3"
        shutil.copy(template, db)
        command = [sys.executable, __file__, "--child", config, "--db", str(db)]
        command += ["--arena"] if arena else []
        command += ["--sample-rss"] if sample_rss else []
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{config} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=640)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--rss", type=int, default=0, help="also: RSS over a run of this many chunks")
    parser.add_argument("--template", type=Path, help="build the chunks database here once and reuse it")
    parser.add_argument("--child", choices=CONFIGS)
    parser.add_argument("--db")
    parser.add_argument("--arena", action="store_true")
    parser.add_argument("--sample-rss", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        template = args.template or Path(tmp) / "template.sqlite3"
        if not template.exists():
            started = time.perf_counter()
            build(template, max(args.count, args.rss))
            print(
                f"built {max(args.count, args.rss)} chunks of 60-140 tokens in"
                f" {time.perf_counter() - started:.0f} s"
            )
        if args.count:
            small = template
            if args.rss > args.count:
                small = Path(tmp) / "small.sqlite3"
                build(small, args.count)
            baseline = None
            other = None
            for config in args.configs.split(","):
                if config.startswith("multilingual") and other is None:
                    other = Path(tmp) / "other.sqlite3"
                    build(other, args.count, OTHER_SENTENCES)
                r = spawn(config, other if config.startswith("multilingual") and other else small)
                baseline = baseline or r["rate"]
                print(
                    f"{config:12s} {r['chunks']:6d} chunks {r['rate']:6.1f} chunks/s (x{r['rate'] / baseline:.2f})"
                    f"  100k in {100_000 / r['rate'] / 60:5.1f} min; {r['per_cpu_second']:5.1f} chunks per CPU"
                    f" second; RSS loaded {r['rss_loaded']:.0f} MB, end {r['rss_end']:.0f} MB;"
                    f" max {r.get('rss_max', r['rss_end']):.0f} MB; {r['seconds']:.1f} s  [{load()}]",
                    flush=True,
                )
                if "scan_ms" in r:
                    print(
                        f"{'':12s} first-pass scan p50 {r['scan_ms']:.0f} ms, whole search p50 {r['search_ms']:.0f} ms"
                        f" over {r['chunks']} first-pass chunks; RSS after the pass"
                        f" {r['rss_after_pass']:.0f} MB, after searching {r['rss_after_search']:.0f} MB",
                        flush=True,
                    )
        if args.rss:
            for arena in (True, False):
                r = spawn("sorted-1", template, arena=arena, sample_rss=True)
                samples = r["rss_samples"]
                tail = samples[len(samples) // 2 :]
                print(
                    f"RSS over {r['chunks']} chunks, arena {'on ' if arena else 'off'}: loaded"
                    f" {r['rss_loaded']:.0f} MB, max {max(samples):.0f} MB, second half median"
                    f" {sorted(tail)[len(tail) // 2]:.0f} MB, end {r['rss_end']:.0f} MB"
                    f" ({r['rate']:.1f} chunks/s) [{load()}]",
                    flush=True,
                )


if __name__ == "__main__":
    main()
