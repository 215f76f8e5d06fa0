"""`vivim backup`, `vivim restore`, `vivim peers add`, `vivim devices`, `vivim keys protect`, run for real."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import CliRunner

from vivim.cli import main
from vivim.store import Store
from vivim.store.capture import upsert_capture
from vivim.sync.documents import store_view
from tests.sync.engines import capture


def fill(home: Path) -> dict:
    async def go() -> dict:
        store = await Store.open(home / "vivim.sqlite3")
        try:
            await store.write(upsert_capture, capture("c1", [("k1", "user", "keep me safe")], title="Backed up"))
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


def test_backup_with_the_vault_key_restores_the_store(vivim_home: Path, tmp_path: Path) -> None:
    before = fill(vivim_home)
    runner = CliRunner()
    # the vault key is created with the device keys, by anything that opens the sync engine
    from vivim.sync import crypto
    from vivim.config import Paths

    crypto.load_or_create_vault(Paths(vivim_home).keys)
    target = tmp_path / "vault.backup"
    result = runner.invoke(main, ["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert b"keep me safe" not in target.read_bytes()
    (vivim_home / "vivim.sqlite3").unlink()
    assert view(vivim_home) == {}
    result = runner.invoke(main, ["restore", str(target)])
    assert result.exit_code == 0, result.output
    assert view(vivim_home) == before


def test_passphrase_backup_restores_on_another_device(vivim_home: Path, tmp_path: Path, monkeypatch) -> None:
    before = fill(vivim_home)
    runner = CliRunner()
    target = tmp_path / "vault.backup"
    result = runner.invoke(main, ["backup", "--passphrase", str(target)], input="s3cret words\ns3cret words\n")
    assert result.exit_code == 0, result.output
    other = tmp_path / "other-device"
    other.mkdir()
    monkeypatch.setenv("VIVIM_HOME", str(other))
    wrong = runner.invoke(main, ["restore", "--passphrase", str(target)], input="not it\n")
    assert wrong.exit_code != 0
    result = runner.invoke(main, ["restore", "--passphrase", str(target)], input="s3cret words\n")
    assert result.exit_code == 0, result.output
    assert view(other) == before


def test_peers_add_records_a_dialable_address(vivim_home: Path) -> None:
    runner = CliRunner()
    addr = "/ip4/192.168.1.5/tcp/4001/p2p/12D3KooWNngvN7j5pmuLe35nQ8vhq933J8NWbuPrrhydCFMPDVt8"
    result = runner.invoke(main, ["peers", "add", addr])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(main, ["peers"])
    assert addr in listed.output
    assert runner.invoke(main, ["peers", "add", "/ip4/192.168.1.5/tcp/4001"]).exit_code != 0


def test_devices_lists_this_device_and_keys_protect_adds_a_passphrase(vivim_home: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["keys", "protect"], input="pass phrase\npass phrase\n")
    assert result.exit_code == 0, result.output
    assert b"ed25519_seed" not in (vivim_home / "keys" / "device.json").read_bytes()
    listed = runner.invoke(main, ["devices", "--json"], env={"VIVIM_PASSPHRASE": "pass phrase"})
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output) == [] or all(d["status"] == "self" for d in json.loads(listed.output))


def test_sync_status_reports_this_device_and_its_peers(tmp_path: Path) -> None:
    from tests.sync.peers import Node, pair
    from tests.support.hostproc import HostProcess

    a, b = Node(tmp_path / "a", "a").start(), Node(tmp_path / "b", "b").start()
    try:
        pair(a, b)
        host = HostProcess(a.home)
        try:
            status = host.call("sync.status", {})
        finally:
            host.close()
        assert status["running"] and status["peer_id"] == a.peer_id
        assert {d["peer_id"]: d["status"] for d in status["devices"]} == {a.peer_id: "self", b.peer_id: "paired"}
    finally:
        a.stop()
        b.stop()
