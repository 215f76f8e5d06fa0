"""Optional sites and the per-site switch: what they cost, and Perplexity's thread capture.

    python bench/sites_bench.py                    # 5 runs; a 300-entry Perplexity thread in pages of 10
    python bench/sites_bench.py --entries 1000 --runs 3

In real headless Chromium with the real extension and host (the e2e harness), Perplexity granted:
- the switch check: the content script's storage read before its first look at a page (`vivim:enabled`),
  on ChatGPT (static scripts) and Perplexity (registered scripts);
- turning a site off and on: storage write -> the service worker has unregistered / registered its scripts;
- a Perplexity thread of N entries whose page renders the newest 4 and loads the thread JSON in pages,
  from `goto` to every entry stored (3 turns each: query, answer, sources);
- the host alone: capture.network of the same pages over real pipes, against a ChatGPT conversation with
  the same number of turns (the ratio says what Perplexity's parser costs next to the one already shipped).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.harness import CHATGPT_URL, PERPLEXITY_URL, Browser
from tests.support import payloads
from tests.support import perplexity as pp
from tests.support.hostproc import HostProcess

CHATGPT_ID = "5f4e3d2c-1b0a-8987-a6b5-c4d3e2f1a0b9"


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values):8.1f} ms  (min {min(values):.1f}, max {max(values):.1f}, n={len(values)})"


def wait(check: Any, timeout: float = 120.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("benchmark condition not met")


def measure_of(page: Any, name: str) -> float | None:
    return page.evaluate(f"(performance.getEntriesByName('{name}')[0] || {{}}).duration ?? null")


def browser_runs(entries: int, runs: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {
        "switch_chatgpt": [],
        "switch_perplexity": [],
        "off": [],
        "on": [],
        "thread": [],
    }
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            browser = Browser(Path(tmp), grant=("perplexity",))
            try:
                wait(lambda: len(browser.registered_scripts()) == 3)
                page = browser.open(CHATGPT_URL)
                out["switch_chatgpt"].append(wait(lambda: measure_of(page, "vivim:enabled")))
                page.close()
                page = browser.open(PERPLEXITY_URL)
                out["switch_perplexity"].append(wait(lambda: measure_of(page, "vivim:enabled")))
                page.close()
                start = time.perf_counter()
                browser.set_site_enabled("perplexity", False)
                wait(lambda: browser.registered_scripts() == [])
                out["off"].append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                browser.set_site_enabled("perplexity", True)
                wait(lambda: len(browser.registered_scripts()) == 3)
                out["on"].append((time.perf_counter() - start) * 1000)

                slug = f"bench-thread-{run}-Ab12Cd34Ef56Gh78Ij90Kl"
                pages = pp.thread_pages(entries, 10, slug)
                for url, doc in pages:
                    browser.responses[url] = ("application/json", json.dumps(doc).encode())
                shown = [e for _, doc in pages for e in doc["entries"]][-4:]
                thread_url = f"https://www.perplexity.ai/search/{slug}"
                browser.responses[thread_url] = (
                    "text/html; charset=utf-8",
                    pp.thread_page_html("Bench", shown, [u for u, _ in pages]),
                )
                start = time.perf_counter()
                page = browser.open(thread_url)

                def all_stored() -> bool:
                    page.wait_for_timeout(20)  # Playwright answers the page's requests only while called
                    return len(browser.messages("perplexity", slug)) >= entries * 3

                try:
                    wait(all_stored, timeout=600)
                except TimeoutError:
                    raise TimeoutError(
                        f"stored {len(browser.messages('perplexity', slug))} of {entries * 3}"
                    ) from None
                out["thread"].append((time.perf_counter() - start) * 1000)
            finally:
                browser.close()
    return out


def host_runs(entries: int, runs: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"perplexity": [], "perplexity_one": [], "chatgpt": []}
    pages = pp.thread_pages(entries, 10)
    doc = payloads.chatgpt_conversation(CHATGPT_ID, entries * 3)
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            host = HostProcess(Path(tmp))
            try:
                host_pair(host, pages, doc, out)
            finally:
                host.close()
    return out


def host_pair(
    host: HostProcess,
    pages: list[tuple[str, dict[str, Any]]],
    doc: dict[str, Any],
    out: dict[str, list[float]],
) -> None:
    """One run on a fresh host: the Perplexity pages in order, then the ChatGPT document."""
    start = time.perf_counter()
    reply: dict[str, Any] = {}
    for url, page in pages:
        reply = host.request("capture.network", network("perplexity", pp.SLUG, url, page))
        assert reply["ok"], reply
    out["perplexity"].append((time.perf_counter() - start) * 1000)
    assert reply["result"]["completeness"]["status"] == "complete", reply
    whole = pp.page([{**e} for _, page in pages for e in page["entries"]])  # copies: the slug changes
    other = "bench-one-page-Zz9Yy8Xx7Ww6Vv5Uu4Tt3"
    for entry in whole["entries"]:
        entry["thread_url_slug"] = other
    start = time.perf_counter()
    reply = host.request("capture.network", network("perplexity", other, pp.API.format(slug=other), whole))
    out["perplexity_one"].append((time.perf_counter() - start) * 1000)
    assert reply["ok"], reply
    url = f"https://chatgpt.com/backend-api/conversation/{CHATGPT_ID}"
    start = time.perf_counter()
    reply = host.request("capture.network", network("chatgpt", CHATGPT_ID, url, doc))
    out["chatgpt"].append((time.perf_counter() - start) * 1000)
    assert reply["ok"], reply


def network(provider: str, external_id: str, url: str, doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "provider": provider,
        "external_id": external_id,
        "url": url,
        "body": json.dumps(doc),
        "encoding": "json",
        "part": 0,
        "parts": 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with open("/proc/loadavg") as f:
        print(f"load before: {f.read().split()[:3]}")
    b = browser_runs(args.entries, args.runs)
    h = host_runs(args.entries, args.runs)
    print(f"switch check before the first look, ChatGPT (static scripts)      {ms(b['switch_chatgpt'])}")
    print(f"switch check before the first look, Perplexity (registered)       {ms(b['switch_perplexity'])}")
    print(f"turn Perplexity off -> its scripts unregistered                   {ms(b['off'])}")
    print(f"turn Perplexity on  -> its scripts registered                     {ms(b['on'])}")
    print(f"Perplexity thread, {args.entries} entries in pages of 10, goto -> all stored  {ms(b['thread'])}")
    print(
        f"host alone: Perplexity pages ({args.entries * 3} turns)                      {ms(h['perplexity'])}"
    )
    print(
        f"host alone: Perplexity one page ({args.entries * 3} turns)                   {ms(h['perplexity_one'])}"
    )
    print(f"host alone: ChatGPT document ({args.entries * 3} turns, one payload)         {ms(h['chatgpt'])}")
    one = statistics.median(h["perplexity_one"]) / statistics.median(h["chatgpt"])
    paged = statistics.median(h["perplexity"]) / statistics.median(h["chatgpt"])
    print(f"ratio Perplexity one page / ChatGPT document (host alone)         {one:.2f}x")
    print(
        f"ratio Perplexity {len(pp.thread_pages(args.entries, 10))} pages / ChatGPT document (host alone)          {paged:.2f}x"
    )
    with open("/proc/loadavg") as f:
        print(f"load after: {f.read().split()[:3]}")


if __name__ == "__main__":
    main()
