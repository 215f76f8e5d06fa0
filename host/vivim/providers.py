"""The AI chat sites (and coding agents, and MCP notes) VIVIM knows: the one list every provider list
in the host reads.

Adding a provider is an entry here plus its own files (docs/adding-a-site.md has the checklist):
the extension's adapter `extension/content/sites/<key>.js`, the normalizer's rules
`vivim/normalize/sites/<key>.py` (a module-level RULES), the importer `vivim/importers/<key>.py`
(`parse` and the ITEM_KEYS that recognise its export), and fixtures under tests/fixtures/.
The protocol's Provider type, the CLI's choices, the web app's upload check and OpenAPI enums,
the bit index's provider codes, the context engine's display names, capture settings and
import formats all derive from PROVIDERS.

A coding agent (kind "agent") is a module `vivim/importers/<name>.py` listed in
importers/agent_logs.agent_modules(); "note" is what AI clients store through `vivim mcp`.

This module imports nothing from VIVIM: everything may import it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderInfo:
    key: str  # the wire name (protocol, database, settings); never changes once released
    name: str  # how people write it
    code: int  # the bit index's small integer for the provider column; never reused
    hosts: tuple[str, ...]  # the sites the extension captures on (https only)
    aliases: tuple[str, ...] = ()  # other names callers use for it (a company, an old domain)
    import_formats: tuple[str, ...] = ()  # export formats of its official export (first = JSON)
    kind: str = "site"  # "site": a chat site the extension captures; "agent": a coding agent's session
    # logs on this machine (importers/agent_logs.py); "note": what an AI client keeps through MCP


PROVIDERS: tuple[ProviderInfo, ...] = (
    ProviderInfo("chatgpt", "ChatGPT", 0, ("chatgpt.com",), ("openai",), ("chatgpt",)),
    ProviderInfo("claude", "Claude", 1, ("claude.ai",), ("anthropic",), ("claude",)),
    ProviderInfo("gemini", "Gemini", 2, ("gemini.google.com",), ("google",), ("gemini", "gemini-html")),
    ProviderInfo("claude-code", "Claude Code", 3, (), kind="agent"),
    ProviderInfo("codex", "Codex", 4, (), kind="agent"),
    ProviderInfo("gemini-cli", "Gemini CLI", 5, (), kind="agent"),
    ProviderInfo("note", "Note", 6, (), kind="note"),
    ProviderInfo("perplexity", "Perplexity", 7, ("www.perplexity.ai",)),
    ProviderInfo("deepseek", "DeepSeek", 8, ("chat.deepseek.com",), (), ("deepseek",)),
    ProviderInfo(
        "mistral", "Le Chat", 11, ("chat.mistral.ai",), ("lechat", "le chat", "mistral ai"), ("mistral",)
    ),
    ProviderInfo("grok", "Grok", 9, ("grok.com",), ("xai", "x.ai"), ("grok",)),
    ProviderInfo("copilot", "Copilot", 10, ("copilot.microsoft.com",), ("microsoft", "bing"), ("copilot",)),
    ProviderInfo(
        "aistudio",
        "AI Studio",
        12,
        ("aistudio.google.com",),
        ("ai studio", "google ai studio", "makersuite"),
        ("aistudio",),
    ),
)

# The chat sites alone: what the extension captures, the official exports, the capture settings' hosts.
SITES: tuple[ProviderInfo, ...] = tuple(p for p in PROVIDERS if p.kind == "site")
# Coding agents whose session logs VIVIM reads on this machine (importers/agent_logs.py).
AGENTS: tuple[ProviderInfo, ...] = tuple(p for p in PROVIDERS if p.kind == "agent")

KEYS: tuple[str, ...] = tuple(p.key for p in PROVIDERS)
BY_KEY: dict[str, ProviderInfo] = {p.key: p for p in PROVIDERS}


def display_name(key: str) -> str:
    """ "ChatGPT" for "chatgpt"; an unknown key is shown as it is."""
    info = BY_KEY.get(key)
    return info.name if info else key


def resolve(name: str | None) -> ProviderInfo | None:
    """The provider a key, an alias or one of its hosts names (case-insensitive), if any."""
    wanted = (name or "").strip().lower()
    for info in PROVIDERS:
        if wanted == info.key or wanted in info.aliases or wanted in info.hosts:
            return info
    return None


def listed(conjunction: str = "or", *, exports: bool = False) -> str:
    """ "ChatGPT, Claude or Gemini": for messages that name every chat site (with `exports`, every chat
    site with an official export to import)."""
    names = [p.name for p in SITES if p.import_formats or not exports]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {conjunction} {names[-1]}"
