"""Web API latency: p50/p95/max for list, search and get over real HTTP on loopback.

    python bench/web_api.py                  # 100,000 messages (5,000 conversations x 20)
    python bench/web_api.py --messages 20000 --requests 100

Seeds a fresh data directory with synthetic conversations (Zipf-distributed words from a
20,000-word vocabulary, so some words are everywhere and most are rare, as in real text) through the same capture upsert the
extension uses (chunks and FTS included), starts the web service on a free port, and times
requests sent one at a time (the page's pattern), with the token, as the browser would send them.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import msgspec

from vivim.config import Paths
from vivim.protocol import CaptureUpsert
from vivim.runtime import Runtime
from vivim.store.capture import upsert_capture

WORDS = (
    "python rust sqlite vector index memory async await borrow checker lifetime closure decorator "
    "generator iterator kernel tensor gradient matrix socket thread mutex channel promise future "
    "schema migration query planner cache eviction latency throughput benchmark profile flame graph "
    "compiler parser lexer token grammar regex unicode encoding buffer stream pipeline batch"
).split()
SYLLABLES = "ka lo mi nu pe ra si to vu ze ban cor dil fen gor hun jas kel mor nix".split()
PROVIDERS = ("chatgpt", "claude", "gemini")
VOCABULARY_SIZE = 20_000
TURNS_PER_CONVERSATION = 20
CONVERSATIONS_PER_TRANSACTION = 50


def make_vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Real text is Zipfian: a few words are everywhere, most are rare. Rank r has weight 1/r
    (returned cumulated, so each draw is a bisection, not a pass over 20,000 weights)."""
    words = list(WORDS)
    seen = set(words)
    while len(words) < VOCABULARY_SIZE:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    rng.shuffle(words)
    return words, list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))


VOCAB: tuple[list[str], list[float]] = ([], [])  # words, cumulative weights


def word(rng: random.Random) -> str:
    return rng.choices(VOCAB[0], cum_weights=VOCAB[1])[0]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(VOCAB[0], cum_weights=VOCAB[1], k=n)).capitalize() + "."


def synthetic(rng: random.Random, index: int, now: float) -> CaptureUpsert:
    started = now - rng.uniform(0, 365 * 86400)
    turns = []
    for t in range(TURNS_PER_CONVERSATION):
        role = "user" if t % 2 == 0 else "assistant"
        body = sentence(rng, 12) if role == "user" else "\n\n".join(sentence(rng, 30) for _ in range(3))
        turns.append(
            {
                "key": f"m{t}",
                "role": role,
                "position": t,
                "parent_key": f"m{t - 1}" if t else None,
                "markdown": body,
                "text": body,
                "created_at": started + t * 30,
                "model": None if role == "user" else rng.choice(("gpt-5", "claude-4", "gemini-3")),
            }
        )
    return msgspec.convert(
        {
            "conversation": {
                "provider": PROVIDERS[index % 3],
                "external_id": f"bench-{index}",
                "title": sentence(rng, 5),
                "created_at": started,
            },
            "turns": turns,
            "source": "import",
        },
        CaptureUpsert,
    )


def write_batch(conn, captures: list[CaptureUpsert]) -> None:  # type: ignore[no-untyped-def]
    for item in captures:
        upsert_capture(conn, item)


async def seed(runtime: Runtime, messages: int, rng: random.Random) -> int:
    conversations = max(1, messages // TURNS_PER_CONVERSATION)
    now = time.time()
    for start in range(0, conversations, CONVERSATIONS_PER_TRANSACTION):
        batch = [
            synthetic(rng, i, now)
            for i in range(start, min(conversations, start + CONVERSATIONS_PER_TRANSACTION))
        ]
        await runtime.store.write(write_batch, batch)
    return conversations


def summary(name: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return (
        f"{name:<28} n={len(samples):<5} p50={statistics.median(samples) * 1000:7.2f} ms"
        f"  p95={p95 * 1000:7.2f} ms  max={samples[-1] * 1000:7.2f} ms"
    )


async def timed(session: aiohttp.ClientSession, url: str) -> float:
    started = time.perf_counter()
    async with session.get(url) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"{url} -> {response.status}")
    return time.perf_counter() - started


async def model_ready(timeout: float = 120.0) -> str:
    """Wait for the query-embedding model the first hybrid search started loading (in this
    process), so its load does not compete with the timed requests."""
    try:
        from vivim.retrieval.embedding import get_embedder
    except ImportError:
        return "not in this build"
    embedder = get_embedder()
    deadline = time.monotonic() + timeout
    while not embedder.loaded and embedder.error is None and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    if embedder.loaded:
        return f"loaded in {embedder.load_seconds or 0:.1f} s (hybrid searches embed the query)"
    return f"not loaded ({embedder.error or 'timed out'}): searches are full-text only"


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per endpoint")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    VOCAB[0][:], VOCAB[1][:] = make_vocabulary(rng)

    with tempfile.TemporaryDirectory(prefix="vivim-bench-web-") as home:
        runtime = await Runtime.open(Paths(Path(home)))
        started = time.perf_counter()
        conversations = await seed(runtime, args.messages, rng)
        seeded = time.perf_counter() - started
        count = (await runtime.store.fetchone("SELECT COUNT(*) FROM messages"))[0]
        print(
            f"seeded {count:,} messages in {conversations:,} conversations in {seeded:.1f} s "
            f"({count / seeded:,.0f} messages/s)"
        )

        from vivim.web.service import start

        service = await start(runtime, port=0)
        base = f"http://127.0.0.1:{service.port}"
        headers = {"Authorization": f"Bearer {service.token}"}
        ids = [r[0] for r in await runtime.store.fetchall("SELECT id FROM conversations")]
        try:
            async with aiohttp.ClientSession(headers=headers) as session:
                await timed(session, f"{base}/api/conversations")  # warm up
                await timed(session, f"{base}/api/search?q=warm")  # hybrid search starts loading the model
                print(f"embedding model for query vectors: {await model_ready()}")
                cases = {
                    "list (page 1, limit 50)": lambda: f"{base}/api/conversations?limit=50",
                    "list (random page)": lambda: (
                        f"{base}/api/conversations?limit=50&offset={rng.randrange(0, max(1, len(ids) - 50))}"
                    ),
                    "list (title filter)": lambda: f"{base}/api/conversations?q={word(rng)}",
                    "search (1 word)": lambda: f"{base}/api/search?q={word(rng)}",
                    "search (2 words)": lambda: f"{base}/api/search?q={word(rng)}%20{word(rng)}",
                    "search (prefix, provider)": lambda: (
                        f"{base}/api/search?q={word(rng)[:4]}&provider=claude"
                    ),
                    "search (1 word, fulltext)": lambda: f"{base}/api/search?q={word(rng)}&mode=fulltext",
                    "search (top-10 word)": lambda: f"{base}/api/search?q={VOCAB[0][rng.randrange(10)]}",
                    "get (20 messages)": lambda: f"{base}/api/conversations/{rng.choice(ids)}",
                    "stats (90 days, cached)": lambda: f"{base}/api/stats",
                    "stats (random period)": lambda: f"{base}/api/stats?days={rng.randint(1, 3000)}",
                }
                print(f"{args.requests} sequential requests per endpoint over HTTP on 127.0.0.1:")
                for name, make in cases.items():
                    n = (
                        args.requests
                        if not name.startswith(("stats", "search (top"))
                        else max(10, args.requests // 10)
                    )
                    samples = [await timed(session, make()) for _ in range(n)]
                    print(summary(name, samples))
                    sys.stdout.flush()
        finally:
            await service.stop()
            await runtime.close()


if __name__ == "__main__":
    asyncio.run(main())
