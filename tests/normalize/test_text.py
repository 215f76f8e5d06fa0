"""html_to_text gives what a browser's innerText would for a turn's HTML (sites' pre-wrap classes included)."""

from __future__ import annotations

import pytest

from vivim.normalize import html_to_text


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>a</p><p>b</p>", "a\n\nb"),
        ("<div>a</div><div>b</div>", "a\nb"),
        ("<span>a</span> <span>b</span>", "a b"),
        ("<p>  lots \n of\t space  </p>", "lots of space"),
        ("a<br>b<br><br>c", "a\nb\n\nc"),
        ("<pre>  keep\n    this  </pre>", "  keep\n    this  "),
        ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
        ("<table><tr><td>1</td><td>2</td></tr><tr><td>3</td><td>4</td></tr></table>", "1\t2\n3\t4"),
        (
            "<p>x<script>bad()</script><style>p{}</style><template>t</template><![CDATA[c]]><!-- c --></p>",
            "x",
        ),
        ('<p>shown<span hidden>no</span><span style="display: none">no</span></p>', "shown"),
        ("<h1>T</h1><p>body <b>bold</b></p>", "T\n\nbody bold"),
        ("<p>東京 مرحبا 👋🏽</p>", "東京 مرحبا 👋🏽"),
        ('<div class="whitespace-pre-wrap">line one\n  indented</div>', "line one\n  indented"),
        ("", ""),
    ],
)
def test_inner_text(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


def test_inner_text_of_a_chatgpt_prompt_keeps_buttons_like_the_browser_does() -> None:
    # innerText has no notion of chrome; the extension's own `text` is the same, so hashes agree.
    assert html_to_text('<div class="whitespace-pre-wrap">hi</div><button>Copy</button>') == "hi\nCopy"
