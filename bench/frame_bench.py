"""What the hardened frame decoder costs, and how fast a host ends after EOF.

Part 1 (in-process): decode typical and hostile frames with `vivim.messaging.decode_message`
(msgspec + the guarded walk) against plain `json.loads` (what the host used before), in µs per
frame and MB/s. Part 2 (real processes): EOF at random moments of start-up with the sync node
(mDNS on, kept to 127.0.0.1) and the embedding worker starting; seconds from EOF to exit.
Prints numbers; never passes or fails.

    python bench/frame_bench.py [--repeat 2000] [--exits 10]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vivim.errors import VivimError
from vivim.messaging import decode_message


def capture_frame(chars: int, code: bool) -> bytes:
    text = (
        "def f(x):\n    return [x[i] for i in range(len(x))]  # {a: [b]}\n"
        if code
        else "A typical answer about sourdough hydration and oven spring. "
    ) * (chars // 60)
    turns = [
        {"key": f"k{i}", "role": "assistant", "position": i, "html": f"<p>{text}</p>", "text": text}
        for i in range(2)
    ]
    message = {
        "v": 1,
        "id": "1",
        "type": "capture.upsert",
        "payload": {"conversation": {"provider": "claude", "external_id": "x"}, "turns": turns},
    }
    return json.dumps(message, ensure_ascii=False).encode()


def timed(fn, body: bytes, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        try:
            fn(body)
        except (VivimError, ValueError, RecursionError):
            pass
    return (time.perf_counter() - start) / repeat * 1e6


def decode_bench(repeat: int) -> None:
    cases = {
        "capture 2 KB prose": capture_frame(1_000, False),
        "capture 200 KB code (brackets)": capture_frame(100_000, True),
        "capture 2 MB prose": capture_frame(1_000_000, False),
        "lone surrogate in text": json.dumps(
            {"v": 1, "id": "1", "type": "hello", "payload": {"t": "a\ud83d" * 500}}
        ).encode(),
        "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    }
    print(f"{'frame':34} {'bytes':>10} {'json.loads µs':>14} {'decode µs':>12} {'ratio':>7} {'MB/s':>8}")
    for name, body in cases.items():
        reps = max(5, repeat * 2_000 // max(len(body), 2_000))
        old = timed(json.loads, body, reps)
        new = timed(decode_message, body, reps)
        print(
            f"{name:34} {len(body):>10,} {old:>14.1f} {new:>12.1f} {new / old:>7.2f} {len(body) / new:>8.0f}"
        )


def exit_bench(exits: int) -> None:
    from tests.host.test_shutdown_race import race_env
    from tests.support.hostproc import HostProcess

    rng = random.Random(7)
    times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        for i in range(exits):
            host = HostProcess(home, services="embed,sync", env=race_env(f"bench-{i}"))
            host.call("hello")
            time.sleep(rng.uniform(0, 3))
            assert host.proc.stdin is not None
            host.proc.stdin.close()
            start = time.monotonic()
            host.proc.wait(timeout=60)
            times.append(time.monotonic() - start)
            host.close()
    print(
        f"EOF -> exit over {exits} hosts (EOF 0-3 s after hello): max {max(times):.2f} s, "
        f"median {statistics.median(times):.2f} s, mean {statistics.mean(times):.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--exits", type=int, default=10)
    args = parser.parse_args()
    decode_bench(args.repeat)
    if args.exits:
        exit_bench(args.exits)


if __name__ == "__main__":
    main()
