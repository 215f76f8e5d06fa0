"""Network capture: opening a long conversation until all of it is committed, and what the page pays.

    python bench/capture_network.py                  # 1,000 turns, ChatGPT and Claude, 3 runs each
    python bench/capture_network.py --turns 3000 --runs 1

In real headless Chromium with the real extension and host (the e2e harness): a conversation page that
renders only its newest 20 turns and fetches the conversation's JSON from the site's own API, as the
sites do. Prints, per site, the time from `goto` to the conversation being stored `complete` with every
turn (the MAIN-world observer, the bridge, the service worker's gzip, capture.network's parse and
upsert), and the page's main-thread cost of the observer per observed response: the `vivim:net`
performance measures (the synchronous part of the fetch wrapper and the hand-over of the body; the
clone's body is read asynchronously, off the page's critical path, and parsed on the host). Also the
host alone: capture.network of the same payload over real pipes (first time, and the idempotent re-open).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.harness import Browser
from tests.e2e.network_pages import as_json, chatgpt_api, chatgpt_page, claude_api, claude_page
from tests.e2e.test_capture_network import conversation
from tests.support import payloads
from tests.support.hostproc import HostProcess

CHATGPT_ID = "5f4e3d2c-1b0a-8987-a6b5-c4d3e2f1a0b9"
CLAUDE_ID = "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d"


def site(provider: str, turns: int) -> tuple[str, dict, str, bytes]:
    if provider == "chatgpt":
        doc = payloads.chatgpt_conversation(CHATGPT_ID, turns)
        api = chatgpt_api(CHATGPT_ID)
        return f"https://chatgpt.com/c/{CHATGPT_ID}", doc, api, chatgpt_page(doc, [api], rendered=20)
    doc = payloads.claude_conversation(CLAUDE_ID, turns)
    api = claude_api(CLAUDE_ID) + "?tree=True&rendering_mode=messages&render_all_tools=true"
    return f"https://claude.ai/chat/{CLAUDE_ID}", doc, api, claude_page(doc, [api], rendered=20)


def browser_run(provider: str, turns: int) -> tuple[float, list[tuple[str, float]], int]:
    url, doc, api, page_html = site(provider, turns)
    external_id = CHATGPT_ID if provider == "chatgpt" else CLAUDE_ID
    with tempfile.TemporaryDirectory() as root:
        browser = Browser(Path(root))
        try:
            body = as_json(doc)
            browser.responses[api] = body
            browser.responses[url] = ("text/html; charset=utf-8", page_html)
            tab = browser.context.new_page()
            started = time.perf_counter()
            tab.goto(url)
            while True:
                c = conversation(browser, provider, external_id)
                if c and c["completeness"] == "complete" and c["turns_stored"] >= turns:
                    break
                if time.perf_counter() - started > 300:
                    raise SystemExit(f"{provider}: not complete after 300 s: {c and c['completeness']}")
                tab.wait_for_timeout(20)
            elapsed = time.perf_counter() - started
            costs = tab.evaluate(
                "performance.getEntriesByType('measure').filter(e => e.name.startsWith('vivim:net:'))"
                ".map(e => [e.name.slice(10), e.duration])"
            )
            return elapsed, costs, len(body[1])
        finally:
            browser.close()


def host_run(provider: str, turns: int) -> tuple[float, float]:
    _, doc, api, _ = site(provider, turns)
    external_id = CHATGPT_ID if provider == "chatgpt" else CLAUDE_ID
    message = {"provider": provider, "external_id": external_id, "url": api, "body": json.dumps(doc)}
    with tempfile.TemporaryDirectory() as home:
        host = HostProcess(Path(home))
        try:
            host.call("hello", {})
            t0 = time.perf_counter()
            first = host.call("capture.network", message)
            t1 = time.perf_counter()
            again = host.call("capture.network", message)
            t2 = time.perf_counter()
            assert first["completeness"]["status"] == "complete" and again["inserted"] == 0
            return t1 - t0, t2 - t1
        finally:
            host.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for provider in ("chatgpt", "claude"):
        first, again = host_run(provider, args.turns)
        print(
            f"{provider}: host alone, capture.network of {args.turns} turns: {first * 1000:.0f} ms first,"
            f" {again * 1000:.0f} ms re-open (idempotent), {args.turns / first:.0f} turns/s"
        )
        times: list[float] = []
        costs: list[tuple[str, float]] = []
        size = 0
        for _ in range(args.runs):
            elapsed, run_costs, size = browser_run(provider, args.turns)
            times.append(elapsed)
            costs.extend(run_costs)
        print(
            f"{provider}: open -> all {args.turns} turns committed and complete (payload {size / 1e6:.1f} MB):"
            f" median {statistics.median(times):.2f} s, runs {', '.join(f'{t:.2f}' for t in times)}"
        )
        for step in sorted({name for name, _ in costs}):
            values = [d for name, d in costs if name == step]
            print(
                f"{provider}: page main-thread cost, {step:<9} ({len(values):>3} tasks): median"
                f" {statistics.median(values):.3f} ms, max {max(values):.3f} ms"
            )
        print(
            f"{provider}: page main-thread cost per observed response, all steps:"
            f" {sum(d for _, d in costs) / max(1, args.runs):.2f} ms in total"
        )


if __name__ == "__main__":
    main()
