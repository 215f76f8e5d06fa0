"""`vivim install --mcp CLIENT` / `vivim uninstall`: each AI client's own config file, in a temporary HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from vivim.install.installer import InstallError
from vivim.install.machine import LINUX, MACOS, WINDOWS, Machine
from vivim.install.mcp_clients import CLIENTS, configured_entry, install_client, uninstall_client

COMMAND = ["/opt/vivim/bin/vivim", "mcp"]

EXPECTED_PATHS = {
    (LINUX, "claude-desktop"): ".config/Claude/claude_desktop_config.json",
    (MACOS, "claude-desktop"): "Library/Application Support/Claude/claude_desktop_config.json",
    (WINDOWS, "claude-desktop"): "AppData/Roaming/Claude/claude_desktop_config.json",
    (LINUX, "claude-code"): ".claude.json",
    (MACOS, "cursor"): ".cursor/mcp.json",
    (LINUX, "vscode"): ".config/Code/User/mcp.json",
    (MACOS, "vscode"): "Library/Application Support/Code/User/mcp.json",
    (WINDOWS, "vscode"): "AppData/Roaming/Code/User/mcp.json",
    (LINUX, "gemini-cli"): ".gemini/settings.json",
    (WINDOWS, "codex"): ".codex/config.toml",
}


def machine(home: Path, system: str = LINUX, **env: str) -> Machine:
    return Machine(system=system, home=home, env=env)


@pytest.mark.parametrize(("system", "key"), sorted(EXPECTED_PATHS))
def test_each_client_config_lives_where_the_client_reads_it(tmp_path: Path, system: str, key: str) -> None:
    assert CLIENTS[key].config_path(machine(tmp_path, system)) == tmp_path / EXPECTED_PATHS[(system, key)]


def test_environment_overrides_move_the_config(tmp_path: Path) -> None:
    m = machine(
        tmp_path,
        CODEX_HOME=str(tmp_path / "cx"),
        CLAUDE_CONFIG_DIR=str(tmp_path / "cc"),
        GEMINI_CLI_HOME=str(tmp_path / "gh"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg"),
    )
    assert CLIENTS["codex"].config_path(m) == tmp_path / "cx" / "config.toml"
    assert CLIENTS["claude-code"].config_path(m) == tmp_path / "cc" / ".claude.json"
    assert CLIENTS["gemini-cli"].config_path(m) == tmp_path / "gh" / ".gemini" / "settings.json"
    assert CLIENTS["vscode"].config_path(m) == tmp_path / "xdg" / "Code" / "User" / "mcp.json"


@pytest.mark.parametrize("key", sorted(k for k in CLIENTS if CLIENTS[k].fmt == "json"))
def test_json_clients_keep_other_servers_and_settings(tmp_path: Path, key: str) -> None:
    c = CLIENTS[key]
    m = machine(tmp_path)
    path = c.config_path(m)
    path.parent.mkdir(parents=True, exist_ok=True)
    original = {
        "theme": "dark",
        c.servers_key: {"github": {"command": "npx", "args": ["-y", "gh-mcp"]}},
        "zeta": [1, 2, 3],
    }
    path.write_text(json.dumps(original, indent=4), encoding="utf-8")
    before = path.read_bytes()
    done = install_client(m, tmp_path / "data", key, command=COMMAND)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert list(data) == ["theme", c.servers_key, "zeta"]  # nothing else moved
    assert path.read_text(encoding="utf-8").startswith(
        '{\n    "theme": "dark",\n    "'
    )  # its 4-space indent kept
    assert data[c.servers_key]["github"] == original[c.servers_key]["github"]
    entry = data[c.servers_key]["vivim"]
    assert entry["command"] == COMMAND[0] and entry["args"] == ["mcp"]
    assert ("type" in entry) == (key in ("claude-code", "vscode"))
    assert done.backup is not None and done.backup.read_bytes() == before
    assert configured_entry(c, path) == entry

    removal = uninstall_client(m, tmp_path / "data", key)
    assert removal.action == "restored"
    assert path.read_bytes() == before


def test_vscode_uses_servers_not_mcpservers(tmp_path: Path) -> None:
    m = machine(tmp_path, MACOS)
    install_client(m, tmp_path / "data", "vscode", command=COMMAND)
    data = json.loads(CLIENTS["vscode"].config_path(m).read_text())
    assert set(data) == {"servers"} and data["servers"]["vivim"]["type"] == "stdio"


def test_codex_toml_keeps_comments_and_tables(tmp_path: Path) -> None:
    m = machine(tmp_path)
    path = CLIENTS["codex"].config_path(m)
    path.parent.mkdir(parents=True)
    original = (
        '# my Codex settings\nmodel = "gpt-5.2-codex"  # the default\n\n[mcp_servers.docs]\n'
        'command = "npx"\nargs = ["-y", "docs-mcp"]\n\n[profiles.fast]\nmodel_reasoning_effort = "low"\n'
    )
    path.write_text(original, encoding="utf-8")
    install_client(m, tmp_path / "data", "codex", command=COMMAND)
    text = path.read_text(encoding="utf-8")
    parsed = tomllib.loads(text)
    assert parsed["mcp_servers"]["vivim"] == {"command": COMMAND[0], "args": ["mcp"]}
    assert parsed["mcp_servers"]["docs"] == {"command": "npx", "args": ["-y", "docs-mcp"]}
    assert parsed["profiles"]["fast"] == {"model_reasoning_effort": "low"}
    assert text.startswith(original.split("\n\n")[0])  # the comment and first lines untouched

    path.write_text(
        text + "\n[tui]\nnotifications = true\n", encoding="utf-8"
    )  # the user edits it afterwards
    removal = uninstall_client(m, tmp_path / "data", "codex")
    assert removal.action == "removed entry"
    after = tomllib.loads(path.read_text(encoding="utf-8"))
    assert "vivim" not in after["mcp_servers"] and after["tui"] == {"notifications": True}
    assert "# my Codex settings" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("key", "broken"),
    [
        ("claude-desktop", '{"mcpServers": {"x": {"command": "a",}}}'),
        ("vscode", '{\n  // my servers\n  "servers": {}\n}'),
        ("gemini-cli", "[1, 2]"),
        ("codex", '[mcp_servers.docs\ncommand = "npx"\n'),
    ],
)
def test_a_malformed_config_is_refused_and_left_unchanged(tmp_path: Path, key: str, broken: str) -> None:
    m = machine(tmp_path)
    path = CLIENTS[key].config_path(m)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(InstallError, match=r"nothing was changed|Nothing was changed"):
        install_client(m, tmp_path / "data", key, command=COMMAND)
    assert path.read_text(encoding="utf-8") == broken
    assert [p.name for p in path.parent.iterdir() if "vivim" in p.name] == []  # no backup, nothing written


def test_a_config_vivim_created_is_deleted_again(tmp_path: Path) -> None:
    m = machine(tmp_path)
    done = install_client(m, tmp_path / "data", "cursor", command=COMMAND)
    assert done.created and done.backup is None
    assert uninstall_client(m, tmp_path / "data", "cursor").action == "deleted file"
    assert not done.path.exists()


def test_vivim_home_is_passed_to_the_server(tmp_path: Path) -> None:
    m = machine(tmp_path, VIVIM_HOME=str(tmp_path / "vault"))
    install_client(m, tmp_path / "vault", "gemini-cli", command=COMMAND)
    entry = configured_entry(CLIENTS["gemini-cli"], CLIENTS["gemini-cli"].config_path(m))
    assert entry["env"] == {"VIVIM_HOME": str(tmp_path / "vault")}


def test_cli_install_uninstall_and_doctor_in_a_temporary_home(tmp_path: Path) -> None:
    """The real commands: install --mcp writes, doctor starts the server from the client's config, uninstall
    restores the user's file."""
    home = tmp_path / "home"
    desktop = home / ".config" / "Claude" / "claude_desktop_config.json"
    desktop.parent.mkdir(parents=True)
    desktop.write_text('{"mcpServers": {"files": {"command": "npx", "args": ["fs"]}}}\n', encoding="utf-8")
    before = desktop.read_bytes()
    env = {
        **os.environ,
        "HOME": str(home),
        "VIVIM_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": "",
        "VIVIM_SERVICES": "none",
    }
    vivim = [sys.executable, "-m", "vivim"]
    installed = subprocess.run(
        [*vivim, "install", "--mcp", "claude-desktop", "--mcp", "codex"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert installed.returncode == 0, installed.stderr
    assert "Claude Desktop" in installed.stdout and "Codex" in installed.stdout
    entry = json.loads(desktop.read_text())["mcpServers"]["vivim"]
    assert entry["args"][-1] == "mcp" and Path(entry["command"]).is_file()

    doctor = subprocess.run(
        [*vivim, "doctor", "--json"], env=env, capture_output=True, text=True, timeout=300
    )
    checks = [c for c in json.loads(doctor.stdout)["checks"] if c["area"] == "mcp"]
    summaries = " | ".join(c["summary"] for c in checks)
    assert "Claude Desktop: configured" in summaries and "Codex: configured" in summaries
    assert "the vivim MCP server starts and lists its 5 tools" in summaries
    assert all(c["status"] == "ok" for c in checks), checks

    removed = subprocess.run([*vivim, "uninstall"], env=env, capture_output=True, text=True, timeout=120)
    assert removed.returncode == 0, removed.stderr
    assert desktop.read_bytes() == before
    assert not (home / ".codex" / "config.toml").exists()


def test_doctor_names_missing_commands_and_unreadable_configs(tmp_path: Path) -> None:
    from vivim.install.mcp_doctor import check_mcp

    m = machine(tmp_path)
    assert [c.summary for c in check_mcp(m, 5)] == ["no AI client is set up to use VIVIM (optional)"]
    install_client(m, tmp_path / "data", "cursor", command=[str(tmp_path / "gone" / "vivim"), "mcp"])
    settings = CLIENTS["gemini-cli"].config_path(m)
    settings.parent.mkdir(parents=True)
    settings.write_text("{not json", encoding="utf-8")
    checks = {c.summary: c for c in check_mcp(m, 5)}
    assert checks["Cursor: the vivim server's command is missing"].status == "fail"
    assert checks["Gemini CLI: its config cannot be read"].status == "warn"
