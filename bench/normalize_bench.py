"""HTML -> Markdown normalizer throughput: turns/s and MB/s of HTML in, for typical turns
(a ~2 KB answer, and the 1-8 KB fixtures in tests/fixtures/turns) and a large turn (~200 KB of HTML, mostly
highlighted code, plus prose, lists and a table). Also html_to_text. Prints figures only.

    python bench/normalize_bench.py [--seconds 3] [--large-kb 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "host"))

from vivim.normalize import html_to_markdown, html_to_text

TURNS = ROOT / "tests" / "fixtures" / "turns"


def provider_of(path: Path) -> str | None:
    prefix = path.stem.split("_", 1)[0]
    return prefix if prefix in ("chatgpt", "claude", "gemini") else None


def typical_turn() -> str:
    """A ~2 KB ChatGPT answer: two paragraphs, a short list, a three-line code block."""
    return (
        '<div class="markdown prose dark:prose-invert w-full break-words light"><p data-start="0" data-end="90">'
        "To read a file lazily in Python, iterate over it: each step yields one line, so memory stays "
        'flat even for <strong>very large</strong> files.</p><ul data-start="92" data-end="200"><li><p>'
        "<code>open()</code> returns an iterator</p></li><li><p>lines keep their trailing newline</p></li></ul>"
        '<pre class="overflow-visible!"><div class="contain-inline-size rounded-2xl relative"><div class="flex '
        'items-center px-4 py-2 text-xs">python</div><div class="sticky top-9"><button aria-label="Copy">Copy '
        'code</button></div><div class="overflow-y-auto p-4" dir="ltr"><code class="whitespace-pre! '
        'language-python"><span><span class="hljs-keyword">with</span></span><span> </span><span><span '
        'class="hljs-built_in">open</span></span><span>(path, encoding=</span><span><span class="hljs-string">'
        '"utf-8"</span></span><span>) </span><span><span class="hljs-keyword">as</span></span><span> f:\n    '
        '</span><span><span class="hljs-keyword">for</span></span><span> line </span><span><span class="hljs-'
        'keyword">in</span></span><span> f:\n        handle(line.rstrip())</span></code></div></div></pre><p '
        'data-start="300" data-end="420">If you need random access instead, look at <a href="https://docs.'
        'python.org/3/library/mmap.html">mmap</a>; it maps the file into memory without reading it all '
        'first, which suits binary formats with fixed-size records.</p><p data-start="422" data-end="700">'
        "For text, <code>io.TextIOWrapper</code> decodes as it goes, so a multi-byte character split across "
        "two reads is still decoded correctly. Avoid <code>f.readlines()</code> on big inputs: it builds the "
        'whole list first. And when the file is compressed, <code>gzip.open(path, "rt")</code> gives the same '
        "line-by-line interface.</p></div>"
    )


def large_turn(target_kb: int) -> str:
    """A long ChatGPT answer: sections of prose, a highlighted code block, a list, a table."""
    code_line = (
        '<span><span class="hljs-keyword">def</span></span><span> </span><span><span class="hljs-title '
        'function_">step_{i}</span></span><span>(x: </span><span><span class="hljs-built_in">int</span>'
        '</span><span>) -&gt; </span><span><span class="hljs-built_in">int</span></span><span>:\n    '
        '</span><span><span class="hljs-keyword">return</span></span><span> x * {i} + </span><span><span '
        'class="hljs-number">1</span></span><span>  </span><span><span class="hljs-comment"># `tick` &lt;ok&gt;'
        "</span></span><span>\n</span>"
    )
    section = (
        "<h3>Section {n}</h3><p>Some <strong>prose</strong> about step {n}, with <code>inline_code()</code>, "
        'a <a href="https://example.com/{n}">link</a> and snake_case words.</p>'
        '<pre class="overflow-visible!"><div class="contain-inline-size rounded-2xl relative"><div class="flex '
        'items-center px-4 py-2 text-xs">python</div><div class="sticky top-9"><div class="absolute end-0"><button '
        'aria-label="Copy"><svg width="24" height="24"><path d="M7 5"></path></svg>Copy code</button></div></div>'
        '<div class="overflow-y-auto p-4" dir="ltr"><code class="whitespace-pre! language-python">{code}</code>'
        "</div></div></pre><ul><li><p>first point {n}</p></li><li><p>second point<ul><li>nested</li></ul></p></li>"
        "</ul><table><thead><tr><th>k</th><th>v</th></tr></thead><tbody><tr><td>a|b</td><td>{n}</td></tr></tbody>"
        "</table>"
    )
    parts = []
    size = 0
    n = 0
    while size < target_kb * 1024:
        code = "".join(code_line.format(i=i) for i in range(12))
        part = section.format(n=n, code=code)
        parts.append(part)
        size += len(part.encode())
        n += 1
    return '<div class="markdown prose w-full">' + "".join(parts) + "</div>"


def measure(label: str, turns: list[tuple[str, str | None]], fn, seconds: float) -> None:
    total_bytes = sum(len(h.encode()) for h, _ in turns)
    durations: list[float] = []
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds or done == 0:
        t0 = time.perf_counter()
        for html, provider in turns:
            fn(html, provider)
        durations.append(time.perf_counter() - t0)
        done += 1
    per_round = statistics.median(durations)
    count = len(turns)
    print(
        f"{label:<34} {count / per_round:9.1f} turns/s  {total_bytes / per_round / 1e6:6.2f} MB/s  "
        f"({total_bytes / count / 1024:.1f} KB/turn, median of {done} rounds, "
        f"{per_round / count * 1000:.2f} ms/turn)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--large-kb", type=int, default=200, help="size of the large turn")
    args = parser.parse_args()

    typical = [(p.read_text(encoding="utf-8"), provider_of(p)) for p in sorted(TURNS.glob("*.html"))]
    small = [(typical_turn(), "chatgpt")]
    large = [(large_turn(args.large_kb), "chatgpt")]
    print(
        f"python {sys.version.split()[0]}; {len(typical)} fixture turns; large turn "
        f"{len(large[0][0].encode()) / 1024:.0f} KB"
    )
    measure("markdown, typical turn (~2 KB)", small, html_to_markdown, args.seconds)
    measure("markdown, the fixture turns", typical, html_to_markdown, args.seconds)
    measure(f"markdown, large turn (~{args.large_kb} KB)", large, html_to_markdown, args.seconds)
    measure("text, typical turn (~2 KB)", small, lambda h, p: html_to_text(h), args.seconds)
    measure(f"text, large turn (~{args.large_kb} KB)", large, lambda h, p: html_to_text(h), args.seconds)


if __name__ == "__main__":
    main()
