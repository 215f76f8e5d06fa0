"""`capture.network`: the conversation JSON a site's own page loaded, turned into stored turns.

The extension's MAIN-world observer hands the host the body of the response the page fetched for
the open conversation (ChatGPT's conversation document, Claude's `chat_conversations/<id>` tree,
Perplexity's thread entries, DeepSeek's `history_messages` list, Grok's `response-node` tree and
`load-responses` bodies, Copilot's `history` pages, Le Chat's tRPC `message.all` batch, AI Studio's
`ResolveDriveResource` prompt, positional JSON named by `aistudio_page`).
Where a page payload has the shape of the provider's official export (ChatGPT, Claude, Grok, AI
Studio), the export's parser reads it; the others have a parser of their own that shares the
export's message model: one parser per format. Everything from the page is untrusted: size-capped
before and after decompression, parsed whole or refused whole (`PayloadShape`), never half-written.

ChatGPT's web app may load a long conversation in pages (newest first, older turns on scroll):
every page is stored raw, and the conversation is parsed from the union of their `mapping`s, so
a page of older turns joins the tree where it belongs; until the tree reaches its root the
conversation is `partial`. The rebuilt app (2026) loads runs of messages with a `page_info` instead
(`chatgpt_thread`): they are joined into one `mapping` the same parser reads.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..errors import PayloadShape
from ..protocol import CaptureNetwork, CaptureUpsert
from . import aistudio as aistudio_format
from . import aistudio_page, chatgpt_thread, deepseek_history, mistral_web, perplexity_thread
from . import chatgpt as chatgpt_format
from . import claude as claude_format
from . import copilot as copilot_format
from . import grok as grok_format
from .common import Malformed, SkipLog

MAX_BODY_BYTES = 64 * 1024 * 1024  # decoded; a 1,000-turn conversation with code is ~10 MB
MAX_PARTS = 64
PART_TTL_S = 120.0
# Parts of unfinished payloads held at once, all payloads together: what a page that starts payloads
# and never finishes them (a bug, or a hostile page) can make the host keep. Without a bound, 8 MB
# frames of new payload ids held for PART_TTL_S grow the host until the system kills it.
MAX_PENDING_BYTES = 2 * MAX_BODY_BYTES
MAX_PENDING_PAYLOADS = 64
PARSE_ERRORS = (Malformed, KeyError, TypeError, ValueError, AttributeError, RecursionError)


@dataclass
class Parsed:
    capture: CaptureUpsert
    provider_ids: set[str]
    whole_tree: bool
    total_hint: int | None
    kind: str
    self_contained: bool = True  # this payload alone is the whole conversation: older ones are superseded
    redundant: list[bytes] = field(default_factory=list)  # stored payloads this one makes obsolete


@dataclass
class Request:
    """One payload to parse: its bytes (`doc`, the same as JSON), the open conversation's id, the
    address it came from, and for a provider in PAGED the conversation's stored payloads and their
    addresses (`newest_only`: a live page, see parse)."""

    external_id: str
    data: bytes
    earlier: list[bytes]
    url: str | None
    earlier_urls: list[str | None]
    newest_only: bool

    @cached_property
    def doc(self) -> Any:
        return load(self.data)


# ---- reassembly and decoding ---------------------------------------------------------------

_pending: dict[str, dict[str, Any]] = {}


def assemble(payload: CaptureNetwork, now: float | None = None) -> bytes | None:
    """The whole body once every part of it arrived, else None (the part is kept for a while)."""
    now = time.monotonic() if now is None else now
    for pid in [k for k, v in _pending.items() if now - v["at"] > PART_TTL_S]:
        del _pending[pid]
    if not 1 <= payload.parts <= MAX_PARTS or not 0 <= payload.part < payload.parts:
        raise PayloadShape(f"part {payload.part} of {payload.parts} is out of range")
    if payload.parts == 1:
        return decode(payload.body, payload.encoding)
    if not payload.payload_id:
        raise PayloadShape("a payload in parts needs a payload_id")
    if payload.payload_id not in _pending and len(_pending) >= MAX_PENDING_PAYLOADS:
        raise PayloadShape(
            f"{len(_pending)} payloads in parts are unfinished; this one is refused until they complete"
            f" or expire ({PART_TTL_S:.0f} s)"
        )
    held = sum(len(part) for entry in _pending.values() for part in entry["parts"].values())
    if held + len(payload.body) > MAX_PENDING_BYTES:
        _pending.pop(payload.payload_id, None)  # it could never complete: what it holds is let go
        raise PayloadShape(
            f"{held // (1024 * 1024)} MB of unfinished payloads in parts are waiting; this part is refused"
            f" until they complete or expire ({PART_TTL_S:.0f} s)"
        )
    entry = _pending.setdefault(payload.payload_id, {"at": now, "parts": {}, "total": payload.parts})
    if entry["total"] != payload.parts:
        del _pending[payload.payload_id]
        raise PayloadShape("the parts of one payload disagree on their number")
    entry["parts"][payload.part] = payload.body
    if sum(len(p) for p in entry["parts"].values()) > MAX_BODY_BYTES:
        del _pending[payload.payload_id]
        raise PayloadShape("payload too large")
    if len(entry["parts"]) < payload.parts:
        return None
    del _pending[payload.payload_id]
    return decode("".join(entry["parts"][i] for i in range(payload.parts)), payload.encoding)


def decode(body: str, encoding: str) -> bytes:
    if encoding == "json":
        data = body.encode("utf-8", "surrogatepass")
    else:
        try:
            packed = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise PayloadShape("the payload is not valid base64") from None
        inflater = zlib.decompressobj(wbits=31)  # gzip
        try:
            data = inflater.decompress(packed, MAX_BODY_BYTES + 1)
        except zlib.error:
            raise PayloadShape("the payload is not valid gzip") from None
    if len(data) > MAX_BODY_BYTES:
        raise PayloadShape(f"payload larger than {MAX_BODY_BYTES // (1024 * 1024)} MB")
    return data


def load(data: bytes) -> Any:
    try:
        return json.loads(data)
    except RecursionError:
        raise PayloadShape("payload nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise PayloadShape("payload is not JSON") from None


# ---- per provider ----------------------------------------------------------------------------


def chatgpt_kind(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("mapping"), dict)


def merge_chatgpt_pages(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """One document from every page of a conversation seen so far (oldest stored first)."""
    mapping: dict[str, Any] = {}
    merged: dict[str, Any] = {}
    for doc in docs:
        mapping.update(doc["mapping"])
        merged.update({k: v for k, v in doc.items() if k != "mapping" and v is not None})
    merged["mapping"] = mapping
    return merged


def parse_chatgpt(doc: dict[str, Any], external_id: str) -> Parsed:
    mapping = doc["mapping"]
    if not all(isinstance(node, dict) for node in mapping.values()):
        raise PayloadShape("chatgpt mapping holds something other than nodes")
    doc = {**doc, "conversation_id": external_id}
    capture = chatgpt_format.conversation(doc, SkipLog())
    # Whole when every node's parent and children are in the mapping (the root has no parent): a page
    # cut off at `num_turns` leaves its oldest node's parent outside (and an older page, its newest
    # node's children).
    whole = all(
        (not node.get("parent") or node["parent"] in mapping)
        and all(c in mapping for c in (node.get("children") or []) if isinstance(c, str))
        for node in mapping.values()
    )
    hint = next((doc[k] for k in ("total_turns", "num_turns_total") if type(doc.get(k)) is int), None)
    ids = {t.message_id for t in capture.turns if t.message_id}
    return Parsed(capture, ids, whole, hint, "chatgpt.conversation")


def parse_chatgpt_page(req: Request) -> Parsed:
    """A conversation document (or one page of it), joined with the conversation's stored pages; the
    rebuilt app's thread runs (a `page_info`, no `mapping`) go to parse_chatgpt_thread."""
    doc = req.doc
    if chatgpt_thread.is_page(doc):
        return parse_chatgpt_thread(req)
    if not chatgpt_kind(doc):
        raise PayloadShape("not a chatgpt conversation document (no mapping)")
    cid = doc.get("conversation_id") or doc.get("id")
    if cid is not None and str(cid) != req.external_id:
        raise PayloadShape("the payload is another conversation than the page's")
    pages = [d for d in (_quiet_load(b) for b in req.earlier) if chatgpt_kind(d)]
    parsed = parse_chatgpt(merge_chatgpt_pages([*pages, doc]), req.external_id)
    own = doc["mapping"]
    # Whole on its own: closed towards the root and towards the leaves (an older page names
    # children that only a newer page holds).
    parsed.self_contained = all(
        isinstance(n, dict)
        and (not n.get("parent") or n["parent"] in own)
        and all(c in own for c in (n.get("children") or []) if isinstance(c, str))
        for n in own.values()
    )
    return parsed


def parse_chatgpt_thread(req: Request) -> Parsed:
    """A page of the rebuilt app's thread JSON, joined with the conversation's stored pages of that kind
    (see chatgpt_thread): complete only along the chain of cursors their addresses prove."""
    doc, external_id = req.doc, req.external_id
    try:
        chatgpt_thread.check(doc, external_id)
    except Malformed as exc:
        raise PayloadShape(f"not a chatgpt thread page: {exc}") from None
    addresses = [*req.earlier_urls, *([None] * (len(req.earlier) - len(req.earlier_urls)))]
    stored: list[tuple[str | None, dict[str, Any]]] = []
    for address, body in zip(addresses, req.earlier, strict=True):
        page = _quiet_load(body)
        if not chatgpt_thread.is_page(page):
            continue
        try:
            chatgpt_thread.check(page, external_id)
        except Malformed:
            continue  # a stored page that no longer reads is left out of the join, not fatal to this one
        stored.append((address, page))
    pages = chatgpt_thread.ordered([*stored, (req.url, doc)])
    parsed = parse_chatgpt(chatgpt_thread.joined(pages, external_id), external_id)
    parsed.whole_tree = chatgpt_thread.whole(pages)
    parsed.kind = "chatgpt.conversation"
    info = doc["page_info"]
    parsed.self_contained = info.get("has_previous_page") is False and info.get("has_next_page") is False
    return parsed


def parse_claude(req: Request) -> Parsed:
    doc, external_id = req.doc, req.external_id
    if not isinstance(doc, dict) or not isinstance(doc.get("chat_messages"), list):
        raise PayloadShape("not a claude conversation (no chat_messages list)")
    if str(doc.get("uuid") or external_id) != external_id:
        raise PayloadShape("the payload is another conversation than the page's")
    doc = {**doc, "uuid": external_id}
    capture = claude_format.conversation(doc, SkipLog())
    uuids = {m.get("uuid") for m in doc["chat_messages"] if isinstance(m, dict)}
    whole = all(
        m.get("parent_message_uuid") in (None, claude_format.ROOT_PARENT)
        or m.get("parent_message_uuid") in uuids
        for m in doc["chat_messages"]
        if isinstance(m, dict)
    )
    ids = {t.message_id for t in capture.turns if t.message_id}
    return Parsed(capture, ids, whole, None, "claude.conversation")


def parse_perplexity(req: Request) -> Parsed:
    """A thread page joined with the thread's stored pages (a long thread loads in pages, from the
    first: `offset=0`, then later offsets). Whole once the joined pages run from a page fetched at
    the thread's start (its address says so) to a page without a next one. With `newest_only` (a page
    arriving live) only this page's turns are upserted, and the first turn after them (whose parent this
    page may have just supplied): the stored pages' turns are already stored, so a long thread costs one
    pass per page, not one pass over every page so far. Completeness still counts the whole thread."""
    doc, external_id, earlier, url = req.doc, req.external_id, req.earlier, req.url
    if not perplexity_thread.is_thread_page(doc):
        raise PayloadShape("not a perplexity thread (no entries list)")
    addresses = [*req.earlier_urls, *([None] * (len(earlier) - len(req.earlier_urls)))]
    loaded = [(a, _quiet_load(b)) for a, b in zip(addresses, earlier, strict=True)]
    stored_pages = [(a, d) for a, d in loaded if perplexity_thread.is_thread_page(d)]
    mine = perplexity_thread.entry_ids(doc)
    # A stored page whose entries this one holds too is an older copy (the thread has grown since).
    stored = [d for _, d in stored_pages if not perplexity_thread.entry_ids(d) <= mine]
    pages = perplexity_thread.ordered([*stored, doc])
    capture = perplexity_thread.conversation(pages, external_id, SkipLog())
    ids = {t.message_id for t in capture.turns if t.message_id}
    if req.newest_only and stored:
        order = [perplexity_thread.entry_id(e) for e in perplexity_thread.join_pages(pages)]
        last = max(i for i, uid in enumerate(order) if uid in mine)
        wanted = mine | set(order[last + 1 : last + 2])
        capture.turns = [t for t in capture.turns if t.key.split(":", 1)[0] in wanted]
    # The thread's first entries were seen: a page fetched at offset 0 (its entries are the thread's
    # first whichever visit loaded them). Without it a dropped first page would look like a whole thread.
    from_start = any(_is_first_page(a) for a in [url, *(a for a, _ in stored_pages)])
    whole = from_start and perplexity_thread.whole(pages)
    parsed = Parsed(capture, ids, whole, None, "perplexity.conversation")
    parsed.self_contained = doc.get("has_next_page") is not True and not stored and _is_first_page(url)
    return parsed


def _is_first_page(address: str | None) -> bool:
    """Fetched at the thread's start: no offset (or 0) and no cursor in its address; an unknown
    address counts as such (payloads stored before addresses were compared)."""
    if not address:
        return True
    query = parse_qs(urlsplit(address).query)
    return query.get("offset", ["0"])[-1] in ("0", "") and not query.get("cursor")


def parse_deepseek(req: Request) -> Parsed:
    try:
        capture, whole = deepseek_history.conversation(req.doc, req.external_id, SkipLog())
    except Malformed as exc:
        raise PayloadShape(f"not a deepseek conversation: {exc}") from None
    ids = {t.message_id for t in capture.turns if t.message_id}
    return Parsed(capture, ids, whole, None, "deepseek.conversation")


def parse_mistral(req: Request) -> Parsed:
    """A tRPC batch: JSON, or JSON lines when streamed, so read from the bytes, not as one document."""
    try:
        capture, whole = mistral_web.conversation(mistral_web.load(req.data), req.external_id, SkipLog())
    except Malformed as exc:
        raise PayloadShape(f"not a le chat conversation: {exc}") from None
    ids = {t.message_id for t in capture.turns if t.message_id}
    return Parsed(capture, ids, whole, None, "mistral.conversation")


def parse_grok(req: Request) -> Parsed:
    """grok.com's two payloads, joined with the conversation's stored ones: the tree (GET
    .../response-node: every response id and its parent, no text) and the bodies (POST
    .../load-responses: the responses the page asked for, possibly one branch or one batch of a
    long conversation). Complete only once a tree was seen and every response id in it is stored;
    without a tree nothing says how many responses the conversation holds (partial, n of ?)."""
    doc, external_id = req.doc, req.external_id
    if grok_format.is_tree(doc):
        grok_format.tree(doc)  # refuses a malformed tree before anything is stored
    elif not isinstance(doc, dict) or not isinstance(doc.get("responses"), list):
        raise PayloadShape("not a grok conversation (no responses or responseNodes list)")
    else:
        _check_grok_bodies(doc, external_id)
    stored = [(b, d) for b in req.earlier if (d := _quiet_load(b)) is not None]
    trees = [(b, d) for b, d in stored if grok_format.is_tree(d)]
    loads = [(b, d) for b, d in stored if isinstance(d, dict) and isinstance(d.get("responses"), list)]
    redundant: list[bytes] = []
    if grok_format.is_tree(doc):
        shape = doc
        redundant = [b for b, _ in trees]  # the newest tree is the conversation's: older ones go
    else:
        shape = trees[-1][1] if trees else None
        mine = {grok_format.response_id(r) for r in doc["responses"]}
        # A stored batch this one holds whole is an older copy (the same branch, re-opened).
        redundant = [b for b, d in loads if {grok_format.response_id(r) for r in d["responses"]} <= mine]
        loads = [(b, d) for b, d in loads if b not in redundant] + [(b"", doc)]
    by_id: dict[str, dict[str, Any]] = {}
    for _, body in loads:  # oldest first: a newer copy of a response wins
        for response in body["responses"]:
            rid = grok_format.response_id(response)
            if rid is not None and isinstance(response, dict):
                by_id[rid] = response
    capture = grok_format.page_conversation({"responses": list(by_id.values())}, external_id, SkipLog())
    nodes: dict[str, str | None] = {}
    if shape is not None:
        try:
            nodes = grok_format.tree(shape)
        except Malformed:
            shape = None
    # Responses the tree does not name yet (it is older than they are) count too.
    nodes.update({rid: grok_format.field(r, "parent_response_id") or None for rid, r in by_id.items()})
    empty = {rid for rid, r in by_id.items() if grok_format.is_empty(r)}  # nothing to store
    expected = set(nodes) - empty
    parsed = Parsed(capture, expected, shape is not None, None, "grok.conversation")
    parsed.self_contained = False  # the tree and the bodies are kept side by side
    parsed.redundant = redundant
    return parsed


def _check_grok_bodies(doc: dict[str, Any], external_id: str) -> None:
    responses = doc["responses"]
    if not all(isinstance(r, dict) for r in responses):
        raise PayloadShape("grok responses hold something other than responses")
    for response in responses:
        cid = grok_format.field(response, "conversation_id")
        if cid is not None and str(cid) != external_id:
            raise PayloadShape("the payload is another conversation than the page's")


def parse_copilot(req: Request) -> Parsed:
    """copilot.microsoft.com's GET /c/api/conversations/<id>/history pages: newest first, a `next`
    cursor names older messages, fetched with `?cursor=<next>`. Complete only along an unbroken
    chain: from the newest first page (no cursor in its address), each page's `next` followed by a
    page fetched with that cursor, to a page without one. Pages of an earlier visit that the chain
    does not reach are still read (their turns stay), but prove nothing about the turns between."""
    doc, earlier, earlier_urls = req.doc, req.earlier, req.earlier_urls
    try:
        copilot_format.history_results(doc)
    except Malformed as exc:
        raise PayloadShape(f"not a copilot history page ({exc})") from None
    addresses = [*earlier_urls, *([None] * (len(earlier) - len(earlier_urls)))]
    stored = [
        (address, d)
        for address, d in zip(addresses, (_quiet_load(b) for b in earlier), strict=True)
        if isinstance(d, dict) and isinstance(d.get("results"), list)
    ]
    pages = [*stored, (req.url, doc)]
    capture = copilot_format.page_conversation([d for _, d in pages], req.external_id)
    ids = {t.message_id for t in capture.turns if t.message_id}
    parsed = Parsed(capture, ids, _copilot_chain(pages), None, "copilot.conversation")
    parsed.self_contained = False  # a page is never known to be the whole conversation: all are kept
    return parsed


def _copilot_chain(pages: list[tuple[str | None, dict[str, Any]]]) -> bool:
    """Whether the newest visit's pages link up from its first page to the oldest (see parse_copilot).
    A page whose address is unknown counts as a first page (as before addresses were compared)."""
    by_cursor: dict[str | None, dict[str, Any]] = {}
    for address, body in pages:  # oldest stored first: a later copy of the same page wins
        by_cursor[_cursor(address)] = body
    page = by_cursor.get(None)
    seen: set[str] = set()
    while page is not None:
        following = page.get("next")
        if not following:
            return True
        if not isinstance(following, str) or following in seen:
            return False
        seen.add(following)
        page = by_cursor.get(following)
    return False


def _cursor(address: str | None) -> str | None:
    if not address:
        return None
    values = parse_qs(urlsplit(address).query).get("cursor")
    return values[-1] if values else None


def parse_aistudio(req: Request) -> Parsed:
    """ResolveDriveResource's positional prompt, named (aistudio_page) and read as a prompt file is."""
    doc, external_id = req.doc, req.external_id
    found = aistudio_page.prompt_id(doc)
    if found is None:
        raise PayloadShape("not an AI Studio prompt (no prompts/<id> in the payload)")
    if found != external_id:
        raise PayloadShape("the payload is another conversation than the page's")
    capture = aistudio_format.conversation(aistudio_page.named(doc), SkipLog())
    # The payload is the whole prompt file: every chunk, nothing paged.
    ids = {t.message_id for t in capture.turns if t.message_id}
    return Parsed(capture, ids, True, None, "aistudio.conversation")


def parse(
    provider: str,
    external_id: str,
    data: bytes,
    earlier: list[bytes] | None = None,
    url: str | None = None,
    earlier_urls: list[str | None] | None = None,
    newest_only: bool = False,
) -> Parsed:
    """The stored turns a payload describes; `earlier` are the conversation's stored payloads of the
    providers in PAGED (whose long conversations load in pages, or in a tree and its bodies), and
    `url`/`earlier_urls` the addresses they came from (Copilot's cursor is in its page's address);
    `newest_only`: a live page, whose stored pages' turns need not be upserted again (Perplexity)."""
    parser = PARSERS.get(provider)
    if parser is None:
        raise PayloadShape(f"no network parser for {provider} (its page is captured from the DOM only)")
    request = Request(external_id, data, earlier or [], url, earlier_urls or [], newest_only)
    try:
        return parser.read(request)
    except PayloadShape:
        raise
    except PARSE_ERRORS as exc:
        raise PayloadShape(
            f"{provider} payload in an unknown shape: {type(exc).__name__}: {exc}"[:300]
        ) from None


@dataclass(frozen=True)
class NetworkParser:
    """How the host reads one site's page payloads: `read` parses one, and `paged` says the site's long
    conversations load in pages (or in a tree and its bodies), so it is parsed with the stored ones."""

    read: Callable[[Request], Parsed]
    paged: bool = False


# The one place that says which sites' page payloads the host reads, and how (keys are providers.SITES
# keys; a site missing here is captured from the DOM only, and its payloads are refused).
PARSERS: dict[str, NetworkParser] = {
    "chatgpt": NetworkParser(parse_chatgpt_page, paged=True),
    "claude": NetworkParser(parse_claude),
    "perplexity": NetworkParser(parse_perplexity, paged=True),
    "deepseek": NetworkParser(parse_deepseek),
    "mistral": NetworkParser(parse_mistral),
    "grok": NetworkParser(parse_grok, paged=True),
    "copilot": NetworkParser(parse_copilot, paged=True),
    "aistudio": NetworkParser(parse_aistudio),
}
# Providers whose long conversations load in pages: each payload is parsed with the stored ones.
PAGED = frozenset(key for key, parser in PARSERS.items() if parser.paged)


def _quiet_load(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def kind_of(provider: str) -> str:
    return f"{provider}.conversation"


# ---- re-deriving from the stored payloads (vivim reindex) ----------------------------------------


@dataclass
class ReparseResult:
    conversations: int = 0
    refused: int = 0
    inserted: int = 0
    updated: int = 0


def reparse_stored(conn: Any) -> ReparseResult:
    """Parse every stored provider payload again and upsert what it describes, one transaction per
    conversation: a parser that improved (a new content type, a fixed edge case) re-derives the
    turns it owns; rows the DOM wrote keep their rendered Markdown (the same rules as capture)."""
    from ..store import completeness, raw
    from ..store.capture import prepare_capture, upsert_capture

    result = ReparseResult()
    for provider, external_id, kind in raw.conversations(conn):
        bodies = raw.of_conversation(conn, provider, external_id, kind)
        urls = raw.urls_of_conversation(conn, provider, external_id, kind)
        try:
            # ChatGPT's, Perplexity's, Copilot's pages and Grok's tree and bodies join; Claude's is whole.
            earlier = bodies[:-1] if provider in PAGED else []
            parsed = parse(provider, external_id, bodies[-1], earlier, urls[-1], urls[:-1])
        except PayloadShape:
            result.refused += 1
            continue
        parsed.capture.source = "network"
        capture = prepare_capture(parsed.capture)
        conn.execute("BEGIN IMMEDIATE")
        try:
            upserted = upsert_capture(conn, capture)
            completeness.record(
                conn, upserted.conversation_id, parsed.provider_ids, parsed.whole_tree, parsed.total_hint
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        result.conversations += 1
        result.inserted += upserted.inserted
        result.updated += upserted.updated
    return result
