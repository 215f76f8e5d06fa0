"""The AI Studio page's own copy of a prompt: `MakerSuiteService/ResolveDriveResource`, decoded.

When aistudio.google.com opens `/prompts/<id>` it POSTs to
`https://alkalimakersuite-pa.clients6.google.com/$rpc/google.internal.alkali.applications.makersuite.v1.
MakerSuiteService/ResolveDriveResource` and gets the whole prompt back as `application/json+protobuf`
("JSPB"): the prompt message as a positional array (field n at index n - 1, nulls for unset fields,
trailing nulls cut), inside a one-element envelope. Its fields are those of the Drive prompt file
(`aistudio.py`), so this module only names the positions and hands the result to that parser.

The positions below are the ones public decoders of this RPC agree on (checked there against the
same RPC's `?alt=json` named answer and against prompt files), and the only ones VIVIM reads:

    envelope[0]                 the prompt          [0] "prompts/<drive id>"   [3] runSettings
                                                    [4] metadata  [12] systemInstruction
                                                    [13] chunkedPrompt
    runSettings                 [2] model ("models/…")
    metadata                    [0] displayName      [4] lastModified: [0] revisionTime [seconds, nanos]
    chunkedPrompt               [0] chunks           [1] pendingInputs
    chunk                       [0] text   [8] role   [16] finishReason   [19] isThought
                                [28] errorMessage     [29] parts   [32] createTime [seconds, nanos]
    part                        [1] text   [12] thought

Anything else (media chunks, grounding, token counts) is not decoded: a chunk with no text at these
positions is counted as skipped, never guessed at. A payload whose first element does not name
`prompts/<id>` is not a prompt (the RPC also resolves other Drive files) and is refused whole.
"""

from __future__ import annotations

from typing import Any

from .common import Malformed

PROMPT_NAME, RUN_SETTINGS, METADATA, SYSTEM, CHUNKED = 0, 3, 4, 12, 13
MODEL = 2
DISPLAY_NAME, LAST_MODIFIED, REVISION_TIME = 0, 4, 0
CHUNKS, PENDING = 0, 1
TEXT, ROLE, FINISH, IS_THOUGHT, ERROR, PARTS, CREATE_TIME = 0, 8, 16, 19, 28, 29, 32
PART_TEXT, PART_THOUGHT = 1, 12


def prompt_id(doc: Any) -> str | None:
    """The Drive id the payload names (`prompts/<id>`), or None when it is not a prompt."""
    prompt = _at(doc, 0)
    name = _at(prompt, PROMPT_NAME)
    if isinstance(name, str) and name.startswith("prompts/") and len(name) > len("prompts/"):
        return name.removeprefix("prompts/")
    return None


def named(doc: Any) -> dict[str, Any]:
    """The payload in the prompt file's named shape (`{"prompt": {"name", "runSettings", ...}}`)."""
    if prompt_id(doc) is None:
        raise Malformed("not an AI Studio prompt (no prompts/<id> at [0][0])")
    prompt = doc[0]
    chunked = _at(prompt, CHUNKED)
    chunks = _at(chunked, CHUNKS)
    if chunks is not None and not isinstance(chunks, list):
        raise Malformed("chunkedPrompt.chunks is not a list")
    out: dict[str, Any] = {
        "name": prompt[PROMPT_NAME],
        "runSettings": {"model": _at(_at(prompt, RUN_SETTINGS), MODEL)},
        "metadata": {
            "displayName": _at(_at(prompt, METADATA), DISPLAY_NAME),
            "lastModified": {
                "revisionTime": _at(_at(_at(prompt, METADATA), LAST_MODIFIED), REVISION_TIME),
            },
        },
        "chunkedPrompt": {
            "chunks": [_chunk(c) for c in chunks or []],
            "pendingInputs": [_chunk(c) for c in _list(_at(chunked, PENDING))],
        },
    }
    system = _at(prompt, SYSTEM)
    if isinstance(system, list):
        # A Content message: [parts, role]; each part's text at [1] as in chunk parts.
        texts = [_at(p, PART_TEXT) for p in _list(_at(system, 0))]
        out["systemInstruction"] = {"parts": [{"text": t} for t in texts if isinstance(t, str) and t]}
    return {"prompt": out}


def _chunk(raw: Any) -> Any:
    if not isinstance(raw, list):
        return raw  # the prompt parser counts it as malformed
    chunk: dict[str, Any] = {
        "text": _at(raw, TEXT),
        "role": _at(raw, ROLE),
        "finishReason": _at(raw, FINISH),
        "isThought": bool(_at(raw, IS_THOUGHT)),
        "errorMessage": _at(raw, ERROR),
        "createTime": _at(raw, CREATE_TIME),
    }
    parts = [
        {"text": _at(p, PART_TEXT), "thought": bool(_at(p, PART_THOUGHT))}
        for p in _list(_at(raw, PARTS))
        if isinstance(_at(p, PART_TEXT), str)
    ]
    if parts:
        chunk["parts"] = parts
    return {k: v for k, v in chunk.items() if v is not None}


def _at(value: Any, index: int) -> Any:
    return value[index] if isinstance(value, list) and 0 <= index < len(value) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
