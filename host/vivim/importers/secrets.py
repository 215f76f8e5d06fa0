"""Masking what looks like a credential before a coding agent's transcript is stored.

A coding agent's log holds whatever passed through the terminal: `cat .env`, a curl with an
Authorization header, a key pasted into a prompt. VIVIM keeps these transcripts searchable and
syncs them to the user's other devices, so anything shaped like a well-known key or token is
replaced by `[masked <kind>]` before it reaches the store. The first four characters stay (they
say which key it was, e.g. `sk-p`, `ghp_`), never enough to use it.

False positives cost a few characters of a log; a missed key costs a leak, so patterns lean wide.
"""

from __future__ import annotations

import functools
import re

# (kind, pattern). Group "secret" is the part replaced; the rest (a header name, `KEY=`) stays.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "private key",
        re.compile(
            r"(?P<secret>-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|$))"
        ),
    ),
    ("anthropic key", re.compile(r"(?P<secret>\bsk-ant-[A-Za-z0-9_\-]{16,})")),
    ("openai key", re.compile(r"(?P<secret>\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,})")),
    (
        "github token",
        re.compile(r"(?P<secret>\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}))"),
    ),
    ("gitlab token", re.compile(r"(?P<secret>\bglpat-[A-Za-z0-9_\-]{20,})")),
    ("aws access key", re.compile(r"(?P<secret>\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b)")),
    ("google api key", re.compile(r"(?P<secret>\bAIza[0-9A-Za-z_\-]{35})")),
    ("slack token", re.compile(r"(?P<secret>\bxox[abposr]-[A-Za-z0-9\-]{10,})")),
    ("stripe key", re.compile(r"(?P<secret>\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,})")),
    ("huggingface token", re.compile(r"(?P<secret>\bhf_[A-Za-z0-9]{30,})")),
    ("npm token", re.compile(r"(?P<secret>\bnpm_[A-Za-z0-9]{36})")),
    (
        "json web token",
        re.compile(r"(?P<secret>\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})"),
    ),
    ("bearer token", re.compile(r"(?i:\bbearer)\s+(?P<secret>[A-Za-z0-9_\-.~+/=]{16,})")),
    ("basic auth", re.compile(r"(?i:\bbasic)\s+(?P<secret>[A-Za-z0-9+/]{16,}={0,2})")),
    ("url password", re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s:/@]+:(?P<secret>[^\s@/]{3,})@")),
    # password: ..., DB_PASSWORD=..., "client_secret": "..." (the name says secret: any value of 8+)
    (
        "password",
        re.compile(
            r"(?i:\b[A-Z0-9_.\-]*(?:passw(?:or)?d|passwd|secret)[A-Z0-9_\-]*)[\"']?\s*[:=]\s*[\"']?"
            r"(?P<secret>[^\s\"',;()]{8,})(?![\w(])"
        ),
    ),
    # API_KEY=..., "auth_token": "..." (the name says key or token: a value that looks generated, letters and
    # digits mixed, so `token = tokenizer.encode(text)` in code is left alone)
    (
        "secret value",
        re.compile(
            r"(?i:\b[A-Z0-9_.\-]*(?:api[_\-]?key|token|access[_\-]?key|private[_\-]?key|auth)[A-Z0-9_\-]*)"
            r"[\"']?\s*[:=]\s*[\"']?(?P<secret>(?=[A-Za-z0-9_\-+/=.~]*\d)(?=[A-Za-z0-9_\-+/=.~]*[A-Za-z])"
            r"[A-Za-z0-9_\-+/=.~]{12,})(?![\w(])"
        ),
    ),
]
KEEP = 4


def mask_secrets(text: str) -> str:
    """`text` with every credential-shaped substring replaced by `xxxx[masked <kind>]`."""
    if not text:
        return text
    for kind, pattern in _PATTERNS:
        text = pattern.sub(functools.partial(_masked, kind=kind), text)
    return text


def _masked(match: re.Match[str], kind: str) -> str:
    secret = match.group("secret")
    if "[masked" in secret or "[masked" in match.string[match.end() : match.end() + 8]:
        return match.group(0)  # already masked by an earlier, more specific pattern
    start, end = match.span("secret")
    whole_start = match.start()
    head = match.group(0)[: start - whole_start]
    tail = match.group(0)[end - whole_start :]
    return f"{head}{secret[:KEEP]}[masked {kind}]{tail}"
