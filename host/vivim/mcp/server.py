"""`vivim mcp`: VIVIM's memory as a Model Context Protocol server over stdio.

An AI client (Claude Desktop, Cursor, VS Code, Claude Code, Codex, Gemini CLI) starts this as a
subprocess and speaks JSON-RPC over its stdin/stdout. It opens the same data directory as the
host, as one more reader of the WAL database; its only write (`remember`, off by default) goes
through the store's write path and lock rules like any capture. It never runs the singleton
services: capture, embedding and sync stay with the host or `vivim serve`.

stdout carries the protocol and nothing else: before anything is imported, file descriptor 1 is
duplicated for the protocol and then pointed at stderr, so a library that prints (or a C
extension writing to fd 1) lands in stderr. Logging goes to the data directory's log file.
The embedding model loads lazily on a background thread at the first search; until it is
ready, search answers from full text.
"""

# No `from __future__ import annotations` here: the SDK reads the tools' parameter annotations
# (Annotated[..., Field(...)]) at registration, and they name objects local to build_server.
import gc
import io
import logging
import os
import sys
from typing import Annotated, Any

log = logging.getLogger("vivim.mcp")

SERVER_NAME = "vivim"
INSTRUCTIONS = (
    "VIVIM is the user's own archive of past AI conversations (ChatGPT, Claude, Gemini in the browser; "
    "Claude Code, Codex and Gemini CLI sessions; notes), kept on their machine. Search it when the user "
    "refers to something discussed before, or when earlier decisions, code or explanations would help. "
    "Cite what you use with its title, provider, date and vivim:// link."
)


def _tool_descriptions() -> dict[str, str]:
    return {
        "search_conversations": (
            "Search the user's past AI conversations by words and meaning (hybrid full-text + semantic). "
            "Returns matching conversations, best first, each with up to three snippets and a citation: title, "
            "provider, date, vivim://conversation/<id>#<message> link and the provider's URL. Use "
            "get_conversation with the id (and around_message) to read more."
        ),
        "get_conversation": (
            "Read one conversation (the branch the user last saw), in order, cut to max_tokens. Without "
            "around_message it starts at the beginning; with around_message (the number after # in a vivim:// "
            "link) it shows the messages around that one. Says how to page to what was left out."
        ),
        "build_context": (
            "Given the prompt the user is about to send (draft), return the most relevant excerpts of their past "
            "conversations, with numbered sources, within token_budget: exactly what VIVIM's Insert context "
            "button would insert into a chat."
        ),
        "recent_activity": (
            "What the user discussed lately: conversations with messages in the last `days` days (default 7), "
            "newest first, each with its message count, dates, citation and the last thing the user asked."
        ),
        "remember": (
            "Store a short note in VIVIM (provider 'note'), searchable and synced like a conversation. Only works "
            "when the user has turned writes on in VIVIM's settings; otherwise it returns an error saying so. "
            "Use it only when the user asks you to remember something."
        ),
    }


def build_server(runtime: Any) -> Any:
    """The MCPServer with VIVIM's tools and conversation resources, bound to one Runtime."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver import server as mcpserver_module
    from mcp.server.mcpserver.exceptions import ResourceError, ToolError
    from mcp.types import Resource, ToolAnnotations
    from pydantic import Field

    from .. import __version__
    from ..errors import VivimError
    from . import memory

    descriptions = _tool_descriptions()
    read_only = ToolAnnotations(
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
    )

    class VivimServer(MCPServer):
        async def list_resources(self) -> list[Any]:
            """Static resources plus the most recently active conversations, each readable by its URI."""
            listed = await super().list_resources()
            try:
                recent = await runtime.store.read(_recent_conversations)
            except VivimError as exc:
                log.warning("cannot list conversations: %s", exc.message)
                return listed
            return listed + [
                Resource(
                    uri=memory.conversation_link(r["id"]),
                    name=f"conversation-{r['id']}",
                    title=r["title"] or "Untitled conversation",
                    mime_type="text/markdown",
                    description=f"{memory.provider_name(r['provider'])}, last active {memory.day(r['updated_at'])}",
                )
                for r in recent
            ]

    # MCPServer's constructor calls configure_logging, which imports rich and builds a Console (~35-40 ms
    # of start-up) only to hand logging.basicConfig a handler that basicConfig then drops: the root logger
    # already has vivim's file handler (setup_logging ran first). Skipping it changes no logging at all.
    mcpserver_module.configure_logging = _keep_vivim_logging  # type: ignore[attr-defined]
    server = VivimServer(
        name=SERVER_NAME,
        title="VIVIM memory",
        version=__version__,
        instructions=INSTRUCTIONS,
        log_level="WARNING",
    )

    async def run(fn: Any, *args: Any) -> str:
        try:
            text, _ = await fn(runtime, *args)
            return text
        except VivimError as exc:
            raise ToolError(exc.message) from None

    @server.tool(
        description=descriptions["search_conversations"], annotations=read_only, structured_output=False
    )
    async def search_conversations(
        query: Annotated[
            str, Field(description="Words or a question, as the conversation might have said it.")
        ],
        provider: Annotated[
            str | None, Field(description="Only this source: " + ", ".join(memory.PROVIDERS))
        ] = None,
        since: Annotated[
            str | None, Field(description="Only messages on or after this date (YYYY-MM-DD).")
        ] = None,
        until: Annotated[
            str | None, Field(description="Only messages before this date (YYYY-MM-DD).")
        ] = None,
        limit: Annotated[int | None, Field(description="How many conversations (1-50, default 10).")] = None,
    ) -> str:
        return await run(memory.search_conversations, query, provider, since, until, limit)

    @server.tool(description=descriptions["get_conversation"], annotations=read_only, structured_output=False)
    async def get_conversation(
        id: Annotated[int, Field(description="The conversation id (vivim://conversation/<id>).")],
        around_message: Annotated[
            int | None, Field(description="A message id to centre on (after # in a link).")
        ] = None,
        max_tokens: Annotated[
            int | None, Field(description="Token budget (200-20000, default 4000).")
        ] = None,
    ) -> str:
        return await run(memory.get_conversation, id, around_message, max_tokens)

    @server.tool(description=descriptions["build_context"], annotations=read_only, structured_output=False)
    async def build_context(
        draft: Annotated[str, Field(description="The prompt the user is about to send.")],
        token_budget: Annotated[
            int | None, Field(description="Tokens to fill (0-8000; default: the user's setting).")
        ] = None,
    ) -> str:
        return await run(memory.build_context, draft, token_budget)

    @server.tool(description=descriptions["recent_activity"], annotations=read_only, structured_output=False)
    async def recent_activity(
        days: Annotated[int | None, Field(description="How many days back (1-365, default 7).")] = None,
        provider: Annotated[
            str | None, Field(description="Only this source: " + ", ".join(memory.PROVIDERS))
        ] = None,
    ) -> str:
        return await run(memory.recent_activity, days, provider)

    @server.tool(
        description=descriptions["remember"],
        structured_output=False,
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
        ),
    )
    async def remember(
        text: Annotated[str, Field(description="The note, in full sentences (at most 20,000 characters).")],
        tags: Annotated[list[str] | None, Field(description="Optional tags, e.g. a project name.")] = None,
    ) -> str:
        return await run(memory.remember, text, tags)

    @server.resource(
        "vivim://conversation/{id}",
        name="conversation",
        mime_type="text/markdown",
        description="One conversation as Markdown (the branch last seen), cut to 20,000 tokens.",
    )
    async def conversation_resource(id: str) -> str:
        if not id.isdigit():
            raise ResourceError(f"a conversation id is a number, not {id!r}")
        try:
            text, _ = await memory.get_conversation(runtime, int(id), None, memory.MAX_CONVERSATION_TOKENS)
        except VivimError as exc:
            raise ResourceError(exc.message) from None
        return text

    return server


def _keep_vivim_logging(level: str = "INFO") -> None:
    """Stands in for the SDK's configure_logging: vivim's own logging (to vivim.log) is already set up."""


def _recent_conversations(conn: Any) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, provider, title, updated_at FROM conversations WHERE deleted_at IS NULL"
        " ORDER BY updated_at DESC, id DESC LIMIT 100"
    ).fetchall()
    return [dict(r) for r in rows]


class JsonLines(io.TextIOWrapper):
    """The client's JSON-RPC lines, each as the SDK's strict parser accepts it (`repair_json_line`).

    The SDK drops a line it cannot parse without a reply, so a tool call whose text holds a lone UTF-16
    surrogate escape (JavaScript's JSON.stringify of a string cut inside an emoji) would leave the
    client waiting for ever; repaired, it is answered like any other call."""

    def readline(self, size: int = -1, /) -> str:  # type: ignore[override]  # as typeshed types TextIOWrapper
        from ..messaging import repair_json_line

        return repair_json_line(super().readline(size))


def claim_stdout() -> io.TextIOWrapper:
    """The protocol's stdout: a private duplicate of fd 1, with fd 1 (and sys.stdout) sent to stderr.

    Called first thing, so nothing imported afterwards can write to the protocol channel."""
    sys.stdout.flush()
    private = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return io.TextIOWrapper(
        os.fdopen(private, "wb", buffering=0), encoding="utf-8", newline="\n", write_through=True
    )


async def serve(protocol_out: io.TextIOWrapper, protocol_in: Any, paths: Any) -> None:
    import asyncio

    from ..runtime import Runtime

    # The database opens on its own thread (SQLite releases the GIL) while the SDK, the slowest part of
    # start-up (~0.4 s of CPU: mostly its pydantic protocol types for two protocol eras), is imported here.
    opening = asyncio.ensure_future(Runtime.open(paths))
    await asyncio.sleep(0)
    import anyio
    from mcp.server.stdio import stdio_server

    runtime = await opening
    try:
        server = build_server(runtime)
        _end_startup_gc_pause()
        async with stdio_server(stdin=anyio.wrap_file(protocol_in), stdout=anyio.wrap_file(protocol_out)) as (
            read_stream,
            write_stream,
        ):
            lowlevel = server._lowlevel_server
            await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())
    finally:
        await runtime.close()


def _start_gc_pause() -> None:
    """No cyclic garbage collection while start-up imports run: the SDK builds thousands of pydantic
    classes and objects that all live for the whole process, and the collector would scan them again and
    again for nothing (~7% of the import time, measured)."""
    gc.disable()


def _end_startup_gc_pause() -> None:
    """Collection back on, with what start-up built moved out of its reach (it lives as long as we do)."""
    gc.freeze()
    gc.enable()


TERMINAL_HINT = (
    "VIVIM's MCP server is waiting for an AI client on stdin/stdout; nothing shows here. AI clients start "
    "it themselves: `vivim install --mcp CLIENT` sets one up. Ctrl+C ends it."
)


def main() -> int:
    _start_gc_pause()
    protocol_out = claim_stdout()
    protocol_in = JsonLines(sys.stdin.buffer, encoding="utf-8", errors="replace")
    if sys.stdin.isatty():
        # A person typed `vivim mcp`: say what it is, on stderr (stdout is the protocol channel).
        sys.stderr.write(TERMINAL_HINT + "\n")
        sys.stderr.flush()
    import anyio

    from ..config import Paths, private_umask
    from ..logs import setup_logging

    private_umask()
    paths = Paths.default()
    setup_logging(paths.log)
    log.info("vivim mcp starting (data directory %s)", paths.root)
    try:
        anyio.run(serve, protocol_out, protocol_in, paths)
    except KeyboardInterrupt:
        return 0
    except Exception:
        log.exception("vivim mcp stopped on an error")
        return 1
    log.info("vivim mcp: the client closed the connection")
    return 0


if __name__ == "__main__":
    sys.exit(main())
