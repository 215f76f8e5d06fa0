"""`vivim pair`, `vivim devices`, `vivim peers`, `vivim backup`, `vivim restore`: thin wrappers over
`vivim.sync.control`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from ..config import Paths
from ._common import echo_json, run, with_store


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else "-"


@click.command("pair")
@click.argument("code", required=False)
@click.option("--addr", help="The other device's multiaddr (printed by `vivim pair` there); default: find it by mDNS.")
@click.option("--blind", is_flag=True, help="Join as a blind backup: store and forward ciphertext, never the vault key.")
@click.option("--timeout", type=float, default=600.0, show_default=True, help="Seconds to wait.")
@click.option("--json", "as_json", is_flag=True)
def pair_command(code: str | None, addr: str | None, blind: bool, timeout: float, as_json: bool) -> None:
    """Pair devices: without CODE, show a one-time code and wait; with CODE, join that device."""
    from ..sync import control

    paths = Paths.default()
    if code is None:
        def show(new_code: str, addrs: list[str]) -> None:
            click.echo(f"Pairing code: {new_code}   (works once, for {int(timeout)} seconds)")
            for a in addrs:
                click.echo(f"  address: {a}")
            first = addrs[0] if addrs else "<address>"
            click.echo(f"On the new device run:  vivim pair {new_code} --addr {first}")
            click.echo("Waiting for the other device...")

        result = run(control.pair_offer(paths, ttl=timeout, on_code=show))
    else:
        click.echo("Pairing...")
        result = run(control.pair_join(paths, code, addr=addr, blind=blind, timeout=min(timeout, 120.0)))
    _report(result, as_json)


def _report(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        echo_json(result)
    detail = result.get("detail") or {}
    if result["status"] == "done":
        if not as_json:
            click.echo(f"Paired with {detail.get('name') or 'device'} ({detail.get('peer_id')}).")
            click.echo(f"Fingerprint: {detail.get('fingerprint')}  (the other device shows the same)")
        return
    reason = detail.get("error") or {"expired": "the code expired", "failed": "too many wrong codes"}.get(
        result["status"], result["status"])
    raise click.ClickException(f"pairing did not complete: {reason}")


@click.group("devices", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def devices_group(ctx: click.Context, as_json: bool) -> None:
    """List this vault's devices."""
    if ctx.invoked_subcommand is not None:
        return
    from ..sync import control

    listed = run(with_store(control.devices))
    if as_json:
        echo_json(listed)
        return
    for d in listed:
        kind = "this device" if d["status"] == "self" else d["status"] + (" (blind backup)" if d["blind"] else "")
        click.echo(f"{d['name'] or '-':<20} {kind:<24} {d['peer_id']}")
        if d["status"] != "self":
            click.echo(f"    {d['sync']}" + (f" (last synced {_when(d['last_sync_at'])})" if d["last_sync_at"] else ""))
        elif d["sync"] != "this device":
            click.echo(f"    {d['sync'].removeprefix('this device; ')}")


@devices_group.command("remove")
@click.argument("device")
def devices_remove(device: str) -> None:
    """Revoke DEVICE (peer id, prefix, or name): it gets nothing new; the vault key is rotated."""
    from ..sync import control

    result = run(control.remove_device(Paths.default(), device))
    click.echo(f"Removed {result['name'] or result['revoked']}."
               + (" The vault key was rotated." if result["vault_key_rotated"] else ""))


@click.group("peers", invoke_without_command=True)
@click.pass_context
def peers_group(ctx: click.Context) -> None:
    """Addresses this device dials to reach its paired devices."""
    if ctx.invoked_subcommand is None:
        from ..sync import control

        for a in run(with_store(control.addresses)):
            click.echo(f"{a['addr']}  ({a['source']}, last reached {_when(a['last_ok'])})")


@peers_group.command("add")
@click.argument("multiaddr")
def peers_add(multiaddr: str) -> None:
    """Add a paired device's address, e.g. /ip4/192.168.1.5/tcp/4001/p2p/12D3Koo..."""
    from ..store import Store
    from ..sync import control

    async def add() -> dict[str, Any]:
        store = await Store.open(Paths.default().db)
        try:
            return await store.write(control.add_address, multiaddr)
        finally:
            await store.close()

    result = run(add())
    click.echo(f"Will dial {result['peer_id']} at {result['addr']}.")


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--passphrase", is_flag=True, help="Encrypt with a passphrase (asked) instead of the vault key.")
def backup_command(target: Path, passphrase: bool) -> None:
    """Write an encrypted backup of the whole vault to TARGET."""
    from ..sync import control

    secret = click.prompt("Passphrase", hide_input=True, confirmation_prompt=True) if passphrase else None
    result = run(control.backup(Paths.default(), target, secret))
    click.echo(f"Wrote {result['bytes']} bytes to {result['path']} (encrypted with the {result['with']}).")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--passphrase", is_flag=True, help="The backup was made with a passphrase (asked).")
def restore_command(source: Path, passphrase: bool) -> None:
    """Replace this device's store with an encrypted backup (pair again afterwards to sync)."""
    from ..sync import control

    secret = click.prompt("Passphrase", hide_input=True) if passphrase else None
    result = run(control.restore(Paths.default(), source, secret))
    click.echo(f"Restored {result['conversations']} conversations, {result['messages']} messages.")


@click.group("keys")
def keys_group() -> None:
    """This device's key files."""


@keys_group.command("protect")
@click.option("--remove", is_flag=True, help="Remove the passphrase instead.")
def keys_protect(remove: bool) -> None:
    """Protect the key files with a passphrase (Argon2id); processes then need VIVIM_PASSPHRASE."""
    import os

    from .. import crypto

    keys = Paths.default().keys
    old = None
    if crypto.is_protected(keys):
        old = os.environ.get(crypto.PASSPHRASE_ENV) or click.prompt("Current passphrase", hide_input=True)
    new = None if remove else click.prompt("New passphrase", hide_input=True, confirmation_prompt=True)
    try:
        crypto.protect_keys(keys, new, old)
    except crypto.CryptoError as exc:
        raise click.ClickException(exc.message) from None
    click.echo("The key files are " + ("no longer passphrase-protected." if remove else
                                       f"protected. Set {crypto.PASSPHRASE_ENV} for `vivim serve` and the host."))


def register(main: click.Group) -> None:
    for command in (pair_command, devices_group, peers_group, backup_command, restore_command, keys_group):
        main.add_command(command)
