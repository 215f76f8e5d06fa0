"""`vivim backup`, `vivim restore`, `vivim peers add`, `vivim devices`, `vivim keys protect`, run for real."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import CliRunner

from tests.sync.engines import capture
from vivim.cli import main
from vivim.store import Store
from vivim.store.capture import upsert_capture
from vivim.sync.documents import store_view


def fill(home: Path) -> dict:
    async def go() -> dict:
        store = await Store.open(home / "vivim.sqlite3")
        try:
            await store.write(
                upsert_capture, capture("c1", [("k1", "user", "keep me safe")], title="Backed up")
            )
            return await store.read(store_view)
        finally:
            await store.close()

    return asyncio.run(go())


def view(home: Path) -> dict:
    async def go() -> dict:
        store = await Store.open(home / "vivim.sqlite3")
        try:
            return await store.read(store_view)
        finally:
            await store.close()

    return asyncio.run(go())


def recovery_key(output: str) -> str:
    import re

    found = re.search(r"VIVIM(-[0-9A-Z]{4}){6}", output)
    assert found, output
    return found.group(0)


def test_a_default_backup_restores_with_the_recovery_key_shown_once(vivim_home: Path, tmp_path: Path) -> None:
    before = fill(vivim_home)
    runner = CliRunner()
    target = tmp_path / "vault.backup"
    result = runner.invoke(main, ["backup", str(target)])
    assert result.exit_code == 0, result.output
    key = recovery_key(result.output)
    assert "shown only this once" in result.output
    assert b"keep me safe" not in target.read_bytes()
    assert key.encode() not in b"".join(
        p.read_bytes() for p in (vivim_home / "keys").iterdir()
    )  # never stored
    again = runner.invoke(main, ["backup", str(tmp_path / "later.backup")])
    assert (
        again.exit_code == 0
        and "VIVIM-" not in again.output
        and "recovery key shown at your first" in again.output
    )
    (vivim_home / "vivim.sqlite3").unlink()
    assert view(vivim_home) == {}
    wrong = runner.invoke(main, ["restore", str(target)], input="VIVIM-0000-0000-0000-0000-0000-0000\n")
    assert wrong.exit_code == 1 and "Traceback" not in wrong.output
    assert (
        "This recovery key does not open vault.backup: check it for typos against the recovery key shown at"
        in (wrong.output)
    )
    typed = key.lower().replace("-", " ").replace("vivim ", "")  # as read off paper
    result = runner.invoke(main, ["restore", str(tmp_path / "later.backup")], input=typed + "\n")
    assert result.exit_code == 0, result.output
    assert view(vivim_home) == before


def test_passphrase_backup_restores_on_another_device(vivim_home: Path, tmp_path: Path, monkeypatch) -> None:
    before = fill(vivim_home)
    runner = CliRunner()
    target = tmp_path / "vault.backup"
    short = runner.invoke(main, ["backup", "--passphrase", str(target)], input="short\nshort\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    result = runner.invoke(
        main, ["backup", "--passphrase", str(target)], input="s3cret words\ns3cret words\n"
    )
    assert result.exit_code == 0, result.output
    assert "VIVIM-" not in result.output
    other = tmp_path / "other-device"
    other.mkdir()
    monkeypatch.setenv("VIVIM_HOME", str(other))
    wrong = runner.invoke(main, ["restore", str(target)], input="not it\n")
    assert wrong.exit_code == 1 and "This passphrase does not open vault.backup" in wrong.output
    result = runner.invoke(main, ["restore", str(target)], input="s3cret words\n")
    assert result.exit_code == 0, result.output
    assert view(other) == before
    assert "pair it again" not in result.output  # this device was never paired
    assert "syncs with your other devices once you pair them (`vivim pair`" in result.output


def test_restore_asks_before_replacing_a_vault_that_holds_conversations(
    vivim_home: Path, tmp_path: Path, monkeypatch
) -> None:
    fill(vivim_home)
    runner = CliRunner()
    target = tmp_path / "vault.backup"
    key = recovery_key(runner.invoke(main, ["backup", str(target)]).output)
    other = tmp_path / "busy-device"
    other.mkdir()
    monkeypatch.setenv("VIVIM_HOME", str(other))

    async def own() -> None:
        store = await Store.open(other / "vivim.sqlite3")
        try:
            await store.write(
                upsert_capture, capture("mine", [("m1", "user", "only on this device")], title="Mine")
            )
        finally:
            await store.close()

    asyncio.run(own())
    mine = view(other)
    monkeypatch.setenv("VIVIM_BACKUP_SECRET", key)
    script = runner.invoke(main, ["restore", str(target)], input="")  # nobody to ask
    assert script.exit_code == 1
    assert (
        "already holds 1 conversations" in script.output
        and "--merge" in script.output
        and "--yes" in script.output
    )
    assert view(other) == mine
    cancelled = runner.invoke(main, ["restore", str(target)], input="cancel\n")
    assert cancelled.exit_code == 0 and "Nothing was changed." in cancelled.output
    assert view(other) == mine
    merged = runner.invoke(main, ["restore", str(target)], input="merge\n")
    assert merged.exit_code == 0, merged.output
    assert "1 new conversations" in merged.output
    titles = sorted(json.dumps(view(other)).count(t) > 0 for t in ("Mine", "Backed up"))
    assert titles == [True, True]
    again = runner.invoke(main, ["restore", "--merge", str(target)])
    assert again.exit_code == 0 and "0 new conversations" in again.output  # nothing twice
    replaced = runner.invoke(main, ["restore", "--yes", str(target)])
    assert replaced.exit_code == 0, replaced.output
    assert "only on this device" not in json.dumps(view(other))


def test_a_backup_made_with_defaults_restores_on_a_fresh_machine(tmp_path: Path) -> None:
    """Two real processes, two data directories that share nothing: the new machine has only the
    backup file and the recovery key."""
    import os
    import subprocess
    import sys

    old, new = tmp_path / "old-laptop", tmp_path / "new-laptop"
    old.mkdir()
    new.mkdir()
    before = fill(old)
    vivim = [sys.executable, "-m", "vivim"]
    made = subprocess.run(
        [*vivim, "backup", str(tmp_path / "laptop.backup")],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "VIVIM_HOME": str(old)},
    )
    assert made.returncode == 0, made.stderr
    key = recovery_key(made.stdout)
    restored = subprocess.run(
        [*vivim, "restore", str(tmp_path / "laptop.backup")],
        input=key + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "VIVIM_HOME": str(new)},
    )
    assert restored.returncode == 0, restored.stderr
    assert "Restored 1 conversation," in restored.stdout
    assert view(new) == before


def test_peers_add_records_a_dialable_address(vivim_home: Path) -> None:
    runner = CliRunner()
    addr = "/ip4/192.168.1.5/tcp/4001/p2p/12D3KooWNngvN7j5pmuLe35nQ8vhq933J8NWbuPrrhydCFMPDVt8"
    result = runner.invoke(main, ["peers", "add", addr])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(main, ["peers"])
    assert addr in listed.output
    assert runner.invoke(main, ["peers", "add", "/ip4/192.168.1.5/tcp/4001"]).exit_code != 0


def test_peers_without_any_address_says_how_addresses_come(vivim_home: Path) -> None:
    result = CliRunner().invoke(main, ["peers"])
    assert result.exit_code == 0
    assert "No addresses yet: pairing (`vivim pair`) records the other device's" in result.output


def test_pair_with_something_that_is_not_a_code_says_so_at_once(vivim_home: Path) -> None:
    for typo in ("123", "K7QM-4XP", "K7QM-4XPRZ", "K7QM-4XP0"):  # short, long, 0 is not in codes
        result = CliRunner().invoke(main, ["pair", typo])
        assert result.exit_code == 2, result.output
        assert f"'{typo}' is not a pairing code" in result.output
        assert "No device waiting" not in result.output


def test_devices_lists_this_device_and_keys_protect_adds_a_passphrase(vivim_home: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["keys", "protect"], input="pass phrase\npass phrase\n")
    assert result.exit_code == 0, result.output
    assert b"ed25519_seed" not in (vivim_home / "keys" / "device.json").read_bytes()
    listed = runner.invoke(main, ["devices", "--json"], env={"VIVIM_PASSPHRASE": "pass phrase"})
    assert listed.exit_code == 0, listed.output
    [me] = json.loads(listed.output)
    assert me["status"] == "self" and me["sync"] == "this device"


def test_devices_lists_this_device_before_sync_ever_ran_under_the_id_sync_then_uses(tmp_path: Path) -> None:
    """A vault only imported into has no device row yet; the web app lists this device anyway, so the
    CLI does too, with the peer id its sync node then runs under."""
    from tests.sync.peers import Node

    home = tmp_path / "fresh"
    home.mkdir()
    listed = CliRunner().invoke(main, ["devices", "--json"], env={"VIVIM_HOME": str(home)})
    assert listed.exit_code == 0, listed.output
    [me] = json.loads(listed.output)
    assert me["status"] == "self" and me["peer_id"].startswith("12D3Koo")
    node = Node(home, "fresh").start()
    try:
        assert node.peer_id == me["peer_id"]
    finally:
        node.stop()


def test_sync_status_reports_this_device_and_its_peers(tmp_path: Path) -> None:
    from tests.support.hostproc import HostProcess
    from tests.sync.peers import Node, pair

    a, b = Node(tmp_path / "a", "a").start(), Node(tmp_path / "b", "b").start()
    try:
        pair(a, b)
        host = HostProcess(a.home)
        try:
            status = host.call("sync.status", {})
        finally:
            host.close()
        assert status["running"] and status["peer_id"] == a.peer_id
        assert {d["peer_id"]: d["status"] for d in status["devices"]} == {
            a.peer_id: "self",
            b.peer_id: "paired",
        }
    finally:
        a.stop()
        b.stop()
