"""`vivim install --mcp CLIENT`: add a `vivim` MCP server to an AI client's own config file.

Where each client reads its MCP servers (checked against each client's documentation, 2026):

| client          | file                                                                    | key           |
|-----------------|-------------------------------------------------------------------------|---------------|
| claude-desktop  | macOS ~/Library/Application Support/Claude/claude_desktop_config.json;   | mcpServers    |
|                 | Windows %APPDATA%\\Claude\\...; Linux $XDG_CONFIG_HOME/Claude/...          |               |
| claude-code     | ~/.claude.json (user scope; $CLAUDE_CONFIG_DIR/.claude.json if set)      | mcpServers    |
| cursor          | ~/.cursor/mcp.json                                                       | mcpServers    |
| vscode          | the user profile's mcp.json (Code/User/mcp.json under the config home)  | servers       |
| gemini-cli      | ~/.gemini/settings.json ($GEMINI_CLI_HOME/.gemini if set)                | mcpServers    |
| codex           | ~/.codex/config.toml ($CODEX_HOME if set)                                | [mcp_servers] |

Rules: a file that does not parse is refused and left exactly as it was (a client's config is
the user's, and a half-understood file must not be rewritten). Before a change the file is
copied to `<file>.vivim-<time>.bak`; only the `vivim` entry is added or replaced, everything else
is kept (JSON key order; TOML comments and layout through tomlkit). What was done is recorded in
`<data dir>/mcp-clients.json`. Uninstall restores the backup byte for byte when the file is still
exactly as install left it, and otherwise removes only the `vivim` entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import private_file
from ..errors import InstallError
from .installer import _write_atomically
from .machine import MACOS, WINDOWS, Machine

SERVER_KEY = "vivim"
RECEIPT_FILENAME = "mcp-clients.json"


@dataclass(frozen=True)
class Client:
    key: str
    label: str
    fmt: str  # "json" or "toml"
    servers_key: str  # "mcpServers", "servers" or "mcp_servers"
    stdio_type: bool = False  # the entry carries "type": "stdio"

    def config_path(self, machine: Machine) -> Path:
        env, home = machine.env, machine.home
        if self.key == "claude-desktop":
            if machine.system == MACOS:
                return machine.application_support() / "Claude" / "claude_desktop_config.json"
            if machine.system == WINDOWS:
                return machine.roaming_appdata() / "Claude" / "claude_desktop_config.json"
            return machine.config_home() / "Claude" / "claude_desktop_config.json"
        if self.key == "claude-code":
            base = Path(env["CLAUDE_CONFIG_DIR"]) if env.get("CLAUDE_CONFIG_DIR") else home
            return base / ".claude.json"
        if self.key == "cursor":
            return home / ".cursor" / "mcp.json"
        if self.key == "vscode":
            if machine.system == MACOS:
                return machine.application_support() / "Code" / "User" / "mcp.json"
            if machine.system == WINDOWS:
                return machine.roaming_appdata() / "Code" / "User" / "mcp.json"
            return machine.config_home() / "Code" / "User" / "mcp.json"
        if self.key == "gemini-cli":
            base = Path(env["GEMINI_CLI_HOME"]) if env.get("GEMINI_CLI_HOME") else home
            return base / ".gemini" / "settings.json"
        if self.key == "codex":
            base = Path(env["CODEX_HOME"]) if env.get("CODEX_HOME") else home / ".codex"
            return base / "config.toml"
        raise InstallError(f"unknown MCP client {self.key!r}")


CLIENTS: dict[str, Client] = {
    c.key: c
    for c in (
        Client("claude-desktop", "Claude Desktop", "json", "mcpServers"),
        Client("claude-code", "Claude Code", "json", "mcpServers", stdio_type=True),
        Client("cursor", "Cursor", "json", "mcpServers"),
        Client("vscode", "VS Code", "json", "servers", stdio_type=True),
        Client("gemini-cli", "Gemini CLI", "json", "mcpServers"),
        Client("codex", "Codex", "toml", "mcp_servers"),
    )
}


def client(key: str) -> Client:
    if key not in CLIENTS:
        raise InstallError(f"unknown MCP client {key!r}; choose from {', '.join(CLIENTS)}")
    return CLIENTS[key]


def server_command(python: str | None = None) -> list[str]:
    """How a client starts `vivim mcp` with this installation, by absolute path (clients start
    servers with a minimal PATH, and never inside our virtualenv)."""
    python = os.path.abspath(python or sys.executable)
    script = Path(python).with_name("vivim.exe" if os.name == "nt" else "vivim")
    if script.is_file():
        return [str(script), "mcp"]
    return [python, "-m", "vivim", "mcp"]


def server_entry(c: Client, command: list[str], vivim_home: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": "stdio"} if c.stdio_type else {}
    entry["command"] = command[0]
    entry["args"] = command[1:]
    if vivim_home:
        entry["env"] = {"VIVIM_HOME": vivim_home}
    return entry


# ---- reading and writing the clients' files --------------------------------------------------


def _load(c: Client, path: Path) -> tuple[bytes | None, Any]:
    """(original bytes or None when absent, parsed document); refuses a file it cannot parse."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        raise InstallError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not raw.strip():
        return raw, None
    text = raw.decode("utf-8-sig", errors="strict") if raw else ""
    if c.fmt == "toml":
        import tomllib

        import tomlkit

        try:
            tomllib.loads(text)
            return raw, tomlkit.parse(text)
        except Exception as exc:  # noqa: BLE001 - tomllib and tomlkit raise their own error types
            raise InstallError(
                f"{path} is not valid TOML ({exc}); fix it first, nothing was changed"
            ) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InstallError(
            f"{path} is not plain JSON ({exc}); if it holds comments, add the server by hand (see docs/mcp.md). "
            "Nothing was changed"
        ) from None
    if not isinstance(data, dict):
        raise InstallError(f"{path} does not hold a JSON object; nothing was changed")
    return raw, data


def _indent_of(original: bytes | None) -> str | int:
    """The file's own indentation (tabs, 4 spaces...), so the lines VIVIM did not touch stay as they were."""
    import re

    found = re.search(rb'\n([ \t]+)["}\]]', original or b"")
    return found.group(1).decode() if found else 2


def _with_entry(c: Client, document: Any, entry: dict[str, Any] | None, indent: str | int = 2) -> str:
    """The file's new text with our entry set (or removed when entry is None)."""
    if c.fmt == "toml":
        import tomlkit

        doc = document if document is not None else tomlkit.document()
        servers = doc.get(c.servers_key)
        if entry is None:
            if servers is not None and SERVER_KEY in servers:
                del servers[SERVER_KEY]
                if len(servers) == 0:
                    del doc[c.servers_key]
            return tomlkit.dumps(doc)
        if servers is None:
            servers = tomlkit.table(is_super_table=True)
            doc[c.servers_key] = servers
        table = tomlkit.table()
        table["command"] = entry["command"]
        table["args"] = entry["args"]
        if entry.get("env"):
            env = tomlkit.table()
            for k, v in entry["env"].items():
                env[k] = v
            table["env"] = env
        servers[SERVER_KEY] = table
        return tomlkit.dumps(doc)
    data = dict(document) if document is not None else {}
    servers = data.get(c.servers_key)
    if servers is not None and not isinstance(servers, dict):
        raise InstallError(f"the config's {c.servers_key!r} is not an object; nothing was changed")
    servers = dict(servers or {})
    if entry is None:
        servers.pop(SERVER_KEY, None)
    else:
        servers[SERVER_KEY] = entry
    if servers or entry is not None or c.servers_key in data:
        data[c.servers_key] = servers
    return json.dumps(data, indent=indent, ensure_ascii=False) + "\n"


def configured_entry(c: Client, path: Path) -> dict[str, Any] | None:
    """Our entry in the client's file, or None (also when the file cannot be read)."""
    try:
        _, document = _load(c, path)
    except InstallError:
        return None
    if document is None:
        return None
    servers = document.get(c.servers_key) or {}
    entry = servers.get(SERVER_KEY) if hasattr(servers, "get") else None
    if entry is None:
        return None
    return json.loads(json.dumps(entry, default=str)) if c.fmt == "toml" else dict(entry)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class McpInstall:
    client: str
    path: Path
    backup: Path | None
    created: bool
    entry: dict[str, Any]


def install_client(
    machine: Machine, data_root: Path, key: str, *, command: list[str] | None = None, dry_run: bool = False
) -> McpInstall:
    c = client(key)
    path = c.config_path(machine)
    original, document = _load(c, path)
    vivim_home = str(data_root) if machine.env.get("VIVIM_HOME") else None
    entry = server_entry(c, command or server_command(), vivim_home)
    text = _with_entry(c, document, entry, _indent_of(original))
    result = McpInstall(key, path, None, original is None, entry)
    if dry_run:
        return result
    if original is not None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        result.backup = path.with_name(f"{path.name}.vivim-{stamp}.bak")
        shutil.copy2(path, result.backup)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    mode = (path.stat().st_mode & 0o777) if original is not None else 0o600
    _write_atomically(path, text, mode=mode)
    receipt = read_receipt(data_root)
    earlier = receipt["clients"].get(key)
    receipt["clients"][key] = {
        "path": str(path),
        # The first install's backup is the file as it was before VIVIM; a re-install keeps it.
        "backup": earlier["backup"]
        if earlier and earlier.get("path") == str(path)
        else (str(result.backup) if result.backup else None),
        "created": earlier["created"] if earlier and earlier.get("path") == str(path) else result.created,
        "written_sha256": _sha(text.encode("utf-8")),
    }
    write_receipt(data_root, receipt)
    return result


@dataclass
class McpRemoval:
    client: str
    path: Path
    action: str  # "restored", "removed entry", "deleted file", "absent"


def uninstall_client(machine: Machine, data_root: Path, key: str, *, dry_run: bool = False) -> McpRemoval:
    c = client(key)
    receipt = read_receipt(data_root)
    record = receipt["clients"].get(key) or {}
    path = Path(record["path"]) if record.get("path") else c.config_path(machine)
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        current = None
    action = "absent"
    if current is not None:
        untouched = record.get("written_sha256") == _sha(current)
        backup = Path(record["backup"]) if record.get("backup") else None
        if untouched and record.get("created"):
            action = "deleted file"
            if not dry_run:
                path.unlink()
        elif untouched and backup is not None and backup.is_file():
            action = "restored"
            if not dry_run:
                shutil.copy2(backup, path)
        else:
            _, document = _load(c, path)
            if document is not None and configured_entry(c, path) is not None:
                action = "removed entry"
                if not dry_run:
                    _write_atomically(
                        path,
                        _with_entry(c, document, None, _indent_of(current)),
                        mode=path.stat().st_mode & 0o777,
                    )
    if not dry_run and key in receipt["clients"]:
        del receipt["clients"][key]
        write_receipt(data_root, receipt)
    return McpRemoval(key, path, action)


def installed_clients(data_root: Path) -> list[str]:
    return sorted(read_receipt(data_root)["clients"])


def read_receipt(data_root: Path) -> dict[str, Any]:
    path = Path(data_root) / RECEIPT_FILENAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"version": 1, "clients": {}}
    except (OSError, ValueError) as exc:
        raise InstallError(f"cannot read {path}: {exc}") from None
    data.setdefault("clients", {})
    return data


def write_receipt(data_root: Path, receipt: dict[str, Any]) -> None:
    path = Path(data_root) / RECEIPT_FILENAME
    if not receipt["clients"]:
        path.unlink(missing_ok=True)
        return
    Path(data_root).mkdir(parents=True, exist_ok=True)
    _write_atomically(path, json.dumps(receipt, indent=2) + "\n", mode=0o600)
    private_file(path)
