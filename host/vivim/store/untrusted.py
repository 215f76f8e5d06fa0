"""A capture built from untrusted JSON, made storable before it reaches SQLite.

Frames from the extension are typed and checked when they are decoded (`vivim.messaging`), but a
`CaptureUpsert` that a parser builds from a site's own payload, an export file or a peer's document
holds whatever that JSON held: a title that is an object, a date that is NaN or 1e300, a position
beyond 64 bits, a lone UTF-16 surrogate (JSON's `\\ud800`, what JavaScript writes for an emoji cut
in half). SQLite refuses each of them mid-transaction, which would lose the whole conversation
over one field. Here each field is kept when it is what the store holds, replaced by its empty value
when it is not (a bad date is no date, a bad title no title, a lone surrogate U+FFFD), and a turn
without a usable key is left out: the rest of the conversation is stored.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..protocol import CaptureUpsert

_SURROGATE = re.compile("[\ud800-\udfff]")
ROLES = ("user", "assistant", "tool", "system")
MAX_SECONDS = 1e11  # unix seconds beyond the year 5000: a broken date (milliseconds were converted)
MAX_POSITION = 2**31  # either way: older turns loaded above the first captured one get negative positions


def clean(capture: CaptureUpsert) -> CaptureUpsert:
    """The same capture with every field storable (see the module's docstring); changes it in place."""
    conv = capture.conversation
    conv.external_id = _text(conv.external_id) if isinstance(conv.external_id, str) else str(conv.external_id)
    conv.title = _optional_text(conv.title)
    conv.url = _optional_text(conv.url)
    conv.model = _optional_text(conv.model)
    conv.created_at = _seconds(conv.created_at)
    conv.updated_at = _seconds(conv.updated_at)
    turns = []
    for turn in capture.turns:
        if not isinstance(turn.key, str) or not turn.key or turn.role not in ROLES:
            continue
        turn.key = _text(turn.key)
        turn.parent_key = _optional_text(turn.parent_key)
        turn.message_id = _optional_text(turn.message_id)
        turn.model = _optional_text(turn.model)
        turn.html = _optional_text(turn.html)
        turn.text = _optional_text(turn.text) or ""
        turn.markdown = _optional_text(turn.markdown)
        turn.kind = _optional_text(turn.kind)
        turn.created_at = _seconds(turn.created_at)
        position = turn.position
        turn.position = position if type(position) is int and -MAX_POSITION <= position < MAX_POSITION else 0
        turn.current = turn.current if isinstance(turn.current, bool) else None
        if turn.status not in ("complete", "streaming"):
            turn.status = "complete"
        turns.append(turn)
    capture.turns = turns
    return capture


def _text(value: str) -> str:
    return _SURROGATE.sub("\ufffd", value) if not value.isascii() else value


def _optional_text(value: Any) -> str | None:
    return _text(value) if isinstance(value, str) else None


def _seconds(value: Any) -> float | None:
    if type(value) not in (int, float) or not math.isfinite(value) or not -MAX_SECONDS < value < MAX_SECONDS:
        return None
    return float(value)
