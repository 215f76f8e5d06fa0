"""Capture benchmark in real headless Chromium with the real extension and host.

1. Latency: from a turn settling in the page (the stop button disappears) to its commit in the
   database (the row's updated_at), over N streamed answers on the ChatGPT fixture.
2. Cost on a page with 500+ turns: the content script's time per snapshot (its own
   performance.measure marks) for the first full snapshot and during a streaming mutation burst,
   and the page's total scripting time for the same burst (CDP Performance.getMetrics ScriptDuration)
   with and without the extension.

    python bench/capture_latency.py [--answers 10] [--pairs 250] [--burst-words 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.harness import (
    CHATGPT_URL,
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGES,
    SITE_FIXTURES,
    Browser,
    at_least,
    wait_for,
)

EXTERNAL_ID = CHATGPT_URL.rsplit("/", 1)[1]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def latency(browser: Browser, page, answers: int, tail_ms: int = 0) -> list[float]:
    out = []
    for i in range(answers):
        text = f"Answer {i} streams a dozen words or so before it settles for good, number {i}."
        answer_id = page.evaluate(
            "([p, a, t]) => fixture.ask(p, a, {delay: 15, tailMs: t})",
            [f"Question {tail_ms}-{i}?", text, tail_ms],
        )
        settled_at = page.evaluate("performance.timeOrigin + performance.now()") / 1000
        row = wait_for(
            lambda: next(
                (
                    r
                    for r in browser.messages("chatgpt", EXTERNAL_ID)
                    if r["key"] == answer_id and r["status"] == "complete"
                ),
                None,
            ),
            interval=0.02,
            what="the committed answer",
        )
        committed = browser_db_updated_at(browser, answer_id)
        out.append((committed - settled_at) * 1000)
        del row
    return out


def browser_db_updated_at(browser: Browser, key: str) -> float:
    import sqlite3

    conn = sqlite3.connect(f"file:{browser.vivim_home / 'vivim.sqlite3'}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT updated_at FROM messages WHERE key = ?", (key,)).fetchone()[0]
    finally:
        conn.close()


def burst(page, words: int) -> float:
    """Page scripting time (all worlds, so the content script's too) for one streaming burst."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")

    def scripting() -> float:
        return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}[
            "ScriptDuration"
        ]

    before = scripting()
    page.evaluate(f"fixture.burst({words}, 20)")
    time.sleep(2.5)  # let the debounced snapshots after the burst run
    out = (scripting() - before) * 1000
    cdp.detach()
    return out


def cost_with_extension(browser: Browser, pairs: int, words: int) -> dict[str, object]:
    page = browser.open(CHATGPT_URL)
    wait_for(at_least(6, lambda: browser.messages("chatgpt", EXTERNAL_ID)), what="initial capture")
    page.evaluate("performance.clearMeasures('vivim:snapshot')")
    page.evaluate(f"fixture.bulk({pairs})")
    turns = page.evaluate("fixture.turnCount()")
    wait_for(
        at_least(turns, lambda: browser.messages("chatgpt", EXTERNAL_ID)),
        timeout=120,
        what=f"all {turns} turns stored",
    )
    full = page.evaluate("performance.getEntriesByName('vivim:snapshot').map(e => e.duration)")
    page.evaluate("performance.clearMeasures('vivim:snapshot')")
    scripting = burst(page, words)
    during = page.evaluate("performance.getEntriesByName('vivim:snapshot').map(e => e.duration)")
    return {"turns": turns, "full": full, "during": during, "scripting_ms": scripting}


def cost_without_extension(root: Path, pairs: int, words: int) -> float:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(root / "plain"), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        ctx.route(
            "**/*",
            lambda route: (
                route.fulfill(
                    status=200,
                    content_type="text/html; charset=utf-8",
                    body=(SITE_FIXTURES / PAGES[CHATGPT_URL]).read_bytes(),
                )
                if route.request.url == CHATGPT_URL
                else route.abort()
            ),
        )
        page = ctx.new_page()
        page.goto(CHATGPT_URL)
        page.evaluate(f"fixture.bulk({pairs})")
        time.sleep(1)
        out = burst(page, words)
        ctx.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--answers", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=250, help="turn pairs added to the page (x2 turns)")
    parser.add_argument("--burst-words", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        browser = Browser(root / "ext")
        try:
            page = browser.open(CHATGPT_URL)
            wait_for(at_least(6, lambda: browser.messages("chatgpt", EXTERNAL_ID)), what="initial capture")
            for tail in (0, 1000):
                lat = latency(browser, page, args.answers, tail)
                print(
                    f"settle -> commit latency over {len(lat)} streamed answers (stop button gone {tail} ms"
                    f" after the last token): p50 {statistics.median(lat):.0f} ms, p95 {pct(lat, 95):.0f} ms,"
                    f" max {max(lat):.0f} ms"
                )
            page.close()
            cost = cost_with_extension(browser, args.pairs, args.burst_words)
        finally:
            browser.close()
        baseline = cost_without_extension(root, args.pairs, args.burst_words)
    full, during = cost["full"], cost["during"]
    print(f"page with {cost['turns']} turns:")
    if full:
        print(
            f"  snapshots while {cost['turns'] - 6} new turns were captured: {len(full)},"
            f" max {max(full):.1f} ms, total {sum(full):.0f} ms"
        )
    if during:
        print(
            f"  streaming burst ({args.burst_words} mutations over {args.burst_words * 20 / 1000:.1f} s):"
            f" {len(during)} snapshots, mean {statistics.mean(during):.2f} ms,"
            f" p95 {pct(during, 95):.2f} ms, max {max(during):.2f} ms"
        )
    print(
        f"  page scripting time for the burst: {cost['scripting_ms']:.0f} ms with the extension,"
        f" {baseline:.0f} ms without (CDP ScriptDuration)"
    )


if __name__ == "__main__":
    main()
