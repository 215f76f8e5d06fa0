"""`vivim pair`, `vivim devices`, `vivim peers`, `vivim backup`, `vivim restore`: thin wrappers over
`vivim.sync.control`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from ..config import Paths
from ..errors import CryptoError
from ._common import WholeSentenceGroup, counted, echo_json, run, run_sync, with_store


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else "-"


PAIR_WAIT = 120.0  # long enough to walk to the other device and type a code; short enough to not linger


@click.command("pair", short_help="Pair this device with another one.")
@click.argument("code", required=False)
@click.option(
    "--addr", help="The other device's multiaddr (printed by `vivim pair` there); default: find it by mDNS."
)
@click.option(
    "--blind", is_flag=True, help="Join as a blind backup: store and forward ciphertext, never the vault key."
)
@click.option(
    "--timeout",
    type=click.FloatRange(5, 3600),
    default=PAIR_WAIT,
    show_default=True,
    help="Seconds the code stays valid (and this device waits).",
)
@click.option("--json", "as_json", is_flag=True)
def pair_command(code: str | None, addr: str | None, blind: bool, timeout: float, as_json: bool) -> None:
    """Pair devices: without CODE, show a one-time code and wait; with CODE, join that device."""
    import logging
    import sys

    from ..logs import HumanConsole, setup_logging
    from ..sync import control

    if code is not None:
        _check_code(code)
    paths = Paths.default()
    paths.root.mkdir(parents=True, exist_ok=True)
    # libp2p, trio and asyncio shutdown chatter belongs in vivim.log, not under the code.
    setup_logging(paths.log, console=HumanConsole(sys.stderr, level=logging.ERROR))
    if code is None:
        waiting = _Countdown(enabled=not as_json and sys.stdout.isatty())

        def show(new_code: str, addrs: list[str]) -> None:
            if as_json:
                return
            click.echo(f"Pairing code: {new_code}   (works once, for {_duration(timeout)})")
            for a in addrs:
                click.echo(f"  address: {a}")
            first = addrs[0] if addrs else "<address>"
            click.echo(f"On the new device run:  vivim pair {new_code} --addr {first}")
            click.echo("Waiting for the other device... (Ctrl+C cancels)")

        result = run(control.pair_offer(paths, ttl=timeout, on_code=show, on_wait=waiting.tick), as_json)
        waiting.done()
    else:
        if not as_json:
            click.echo("Pairing...")
        result = run(
            control.pair_join(paths, code, addr=addr, blind=blind, timeout=min(timeout, 120.0)), as_json
        )
    _report(result, as_json, timeout, joining=code is not None)


def _check_code(code: str) -> None:
    """A code that cannot be one (a typo, a truncated paste) is said so at once, before any search for
    a device that would end in "no device waiting to pair was found"."""
    from ..sync.pairing import CODE_ALPHABET, CODE_LENGTH

    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    if len(raw) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in raw):
        raise click.UsageError(
            f"{code!r} is not a pairing code: a code is {CODE_LENGTH} letters and digits such as "
            "K7QM-4XPR, printed by `vivim pair` on the other device"
        )


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{seconds // 60} minutes" + (f" {seconds % 60} seconds" if seconds % 60 else "")


class _Countdown:
    """'Waiting… 1:47 left' on one terminal line, and a line of its own when a wrong code was tried:
    the waiting device is the one that must know (its code survives up to 3 wrong tries)."""

    def __init__(self, enabled: bool) -> None:
        import time

        self.enabled = enabled
        self.attempts = 0
        self.shown = ""
        self.clock = time.time

    def tick(self, request: dict[str, Any]) -> None:
        from ..sync.pairing import MAX_ATTEMPTS

        attempts = int(request.get("attempts") or 0)
        if attempts > self.attempts:
            self.attempts = attempts
            self._clear()
            left = MAX_ATTEMPTS - attempts
            click.echo(
                f"Someone tried a wrong code ({attempts} of {MAX_ATTEMPTS}). Check what was typed on the "
                f"other device; this code stays valid for {left} more {'try' if left == 1 else 'tries'}."
            )
        if not self.enabled:
            return
        remaining = max(0, int(float(request.get("expires_at") or 0) - self.clock()))
        text = f"  {remaining // 60}:{remaining % 60:02d} left"
        if text != self.shown:
            click.echo("\r" + text + " ", nl=False)
            self.shown = text

    def _clear(self) -> None:
        if self.enabled and self.shown:
            click.echo("\r" + " " * (len(self.shown) + 1) + "\r", nl=False)
            self.shown = ""

    def done(self) -> None:
        self._clear()


JOIN_ERRORS = (
    (
        "code was wrong or has expired",
        "The other device did not accept the code. Check it (a code works once, "
        "for a few minutes), or run `vivim pair` there again for a new one",
    ),
    (
        "no pairing code is waiting",
        "The other device is not waiting for a pairing: run `vivim pair` there first, "
        "then the command it prints here",
    ),
    (
        "could not reach",
        "Could not reach the other device. Is `vivim pair` still waiting there, and are both "
        "devices on the same network? (The address it printed must be reachable from here.)",
    ),
    (
        "no device to pair with was found",
        "No device waiting to pair was found on this network. Give its address "
        "with --addr (`vivim pair` prints it on the other device)",
    ),
)


def _report(result: dict[str, Any], as_json: bool, timeout: float = PAIR_WAIT, joining: bool = False) -> None:
    if as_json:
        echo_json(result)
    detail = result.get("detail") or {}
    if result["status"] == "done":
        if not as_json:
            click.echo(f"Paired with {detail.get('name') or 'device'} ({detail.get('peer_id')}).")
            click.echo(f"Fingerprint: {detail.get('fingerprint')}  (the other device shows the same)")
        return
    if as_json:
        raise SystemExit(1)
    error = str(detail.get("error") or "")
    if result["status"] == "expired":
        message = (
            f"No device joined within {_duration(timeout)}, so the code expired. Run `vivim pair` again "
            "when the other device is ready."
        )
    elif result["status"] == "failed" and not joining:
        message = (
            "A wrong code was tried 3 times, so this code was cancelled to keep your vault safe. Run "
            "`vivim pair` again for a new code."
        )
    else:
        known = next((words for key, words in JOIN_ERRORS if key in error), None)
        message = known or f"Pairing did not complete: {error or result['status']}"
    raise click.ClickException(message.rstrip(".") + ".")


@click.group(
    "devices",
    cls=WholeSentenceGroup,
    invoke_without_command=True,
    short_help="List, rename and remove paired devices.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def devices_group(ctx: click.Context, as_json: bool) -> None:
    """List this vault's devices."""
    if ctx.invoked_subcommand is not None:
        return
    from ..sync import control

    listed = run(with_store(control.devices), as_json)
    if not any(d["status"] == "self" for d in listed):
        listed[:0] = _this_device()
    if as_json:
        echo_json(listed)
        return
    if len(listed) <= 1:
        click.echo("Only this device so far. Pair another with `vivim pair`.")
    for d in listed:
        name = d["name"] or "(no name)"
        if d["status"] == "self":
            state = "this device"
        elif d["status"] == "paired":
            state = "blind backup, " if d["blind"] else ""
            if d.get("last_sync_at"):
                state += f"last synced {ago(d['last_sync_at'])}"
            else:
                state += f"last reached {ago(d['last_seen'])}" if d["last_seen"] else "not reached yet"
        else:
            state = "removed" if d["status"] == "revoked" else d["status"]
        click.echo(f"{name:<24} {state:<34} {d['peer_id'][:16]}…  added {_when(d['added_at'])}")
        if d["status"] == "paired":
            click.echo(f"    {d['sync']}")  # how it was reached and what it still lacks, in words
        elif d["status"] == "self" and d["sync"] != "this device":
            click.echo(f"    {d['sync'].removeprefix('this device; ')}")
    if len(listed) > 1:
        click.echo("Rename one with `vivim devices rename DEVICE NAME`.")


def _this_device() -> list[dict[str, Any]]:
    """This device as `control.devices` lists it, before sync first ran here and registered it (a vault
    only imported into, say): the web app's list always has it, so the CLI's does too. Empty when its
    key file is protected and no passphrase is given."""
    from ..errors import CryptoError
    from ..sync.crypto import load_or_create_device
    from ..sync.entries import peer_id_of

    try:
        keys = load_or_create_device(Paths.default().keys)
    except CryptoError:
        return []
    name = keys.name
    return [
        {
            "name": name,
            "own_name": name,
            "status": "self",
            "sync": "this device",
            "reached": None,
            "last_sync_at": None,
            "pending": None,
            "peer_id": peer_id_of(keys.sign_pub),
            "blind": False,
            "added_at": None,
            "revoked_at": None,
            "last_seen": None,
            "addr": None,
            "connected_at": None,
            "entries": None,
            "entries_in": 0,
            "entries_out": 0,
        }
    ]


def ago(ts: float | None, now: float | None = None) -> str:
    """'just now', '3 min ago', '2 h ago', 'yesterday', '5 days ago', or the date."""
    import time

    if not ts:
        return "never"
    seconds = max(0.0, (now or time.time()) - ts)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if seconds < 2 * 86400:
        return "yesterday"
    if seconds < 30 * 86400:
        return f"{int(seconds // 86400)} days ago"
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d")


@devices_group.command("rename", short_help="Give a device a name you recognise.")
@click.argument("device")
@click.argument("name")
def devices_rename(device: str, name: str) -> None:
    """Call DEVICE (peer id, a prefix of it, or its current name) NAME on this device; "" restores its own name."""
    from ..store import Store
    from ..store.device_names import set_device_name

    async def rename() -> dict[str, Any]:
        store = await Store.open(Paths.default().db)
        try:
            return await store.write(set_device_name, device, name)
        finally:
            await store.close()

    result = run(rename())
    click.echo(f"{result['peer_id'][:16]}… is now called {result['name']!r}.")


@devices_group.command("remove", short_help="Revoke a device.")
@click.argument("device")
def devices_remove(device: str) -> None:
    """Revoke DEVICE (peer id, prefix, or name): it gets nothing new; the vault key is rotated."""
    from ..sync import control

    result = run(control.remove_device(Paths.default(), device))
    click.echo(
        f"Removed {result['name'] or result['revoked']}."
        + (" The vault key was rotated." if result["vault_key_rotated"] else "")
    )


@click.group(
    "peers", cls=WholeSentenceGroup, invoke_without_command=True, short_help="Addresses of paired devices."
)
@click.pass_context
def peers_group(ctx: click.Context) -> None:
    """Addresses this device dials to reach its paired devices."""
    if ctx.invoked_subcommand is None:
        from ..sync import control

        found = run(with_store(control.addresses))
        if not found:
            click.echo(
                "No addresses yet: pairing (`vivim pair`) records the other device's, and devices on the same "
                "network find each other by themselves. Add one by hand with `vivim peers add MULTIADDR`."
            )
        for a in found:
            click.echo(f"{a['addr']}  ({a['source']}, last reached {_when(a['last_ok'])})")


@peers_group.command("add", short_help="Add a paired device's address.")
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


@click.command("backup", short_help="Write an encrypted backup.")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--passphrase",
    is_flag=True,
    help="Lock backups with a passphrase you choose (asked) instead of a recovery key VIVIM makes.",
)
@click.option(
    "--new-secret", is_flag=True, help="Make a new recovery key (or passphrase) for this and later backups."
)
def backup_command(target: Path, passphrase: bool, new_secret: bool) -> None:
    """Write an encrypted backup of the whole vault to TARGET, restorable on any machine.

    The first backup sets up its secret: a recovery key shown once (write it down, or keep it in a
    password manager), or with --passphrase one you choose. Later backups use the same one.
    """
    from .. import recovery
    from ..sync import control

    paths = Paths.default()
    if not paths.db.exists():
        raise click.ClickException(
            "There is nothing to back up yet: this data directory has no conversations."
        )
    secret = run_sync(recovery.load_backup_secret, paths.keys)
    shown: str | None = None
    if secret is None or new_secret or passphrase:
        if passphrase:
            text = click.prompt(
                f"Choose a backup passphrase (at least {recovery.MIN_PASSPHRASE} characters)",
                hide_input=True,
                confirmation_prompt=True,
            )
            secret = run_sync(recovery.create_backup_secret, paths.keys, recovery.PASSPHRASE, text)
        else:
            shown = recovery.new_recovery_key()
            secret = run_sync(recovery.create_backup_secret, paths.keys, recovery.RECOVERY_KEY, shown)
    result = run(control.backup(paths, target, secret=secret))
    click.echo(f"Wrote {result['bytes']:,} bytes to {result['path']}, locked with your {result['with']}.")
    if shown:
        rule = "-" * 64
        click.echo(rule)
        click.secho("  Your recovery key (shown only this once):", bold=True)
        click.echo("")
        click.secho(f"      {shown}", bold=True)
        click.echo("")
        click.echo("  Write it down, or keep it in your password manager. Restoring this backup, and every")
        click.echo(
            "  later one, on another machine asks for it. VIVIM does not keep it and cannot show it again."
        )
        click.echo(rule)
    elif secret.kind == recovery.RECOVERY_KEY:
        click.echo("Restoring it asks for the recovery key shown at your first backup.")
    else:
        click.echo("Restoring it asks for your backup passphrase.")


@click.command("restore", short_help="Restore an encrypted backup.")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--merge", is_flag=True, help="Add the backup's conversations to this vault instead of replacing it."
)
@click.option(
    "--yes", "-y", is_flag=True, help="Replace a vault that holds conversations without asking (scripts)."
)
@click.option(
    "--passphrase", is_flag=True, hidden=True
)  # older scripts: the secret is asked when needed anyway
def restore_command(source: Path, merge: bool, yes: bool, passphrase: bool) -> None:
    """Restore an encrypted backup: replace this device's conversations with it, or --merge it in.

    Asks for the backup's recovery key or passphrase (or reads VIVIM_BACKUP_SECRET), and asks before
    replacing a vault that holds conversations. Replacing keeps this device's identity and unpairs it.
    """
    import os

    from .. import recovery
    from ..sync import control

    paths = Paths.default()
    with open(source, "rb") as handle:
        header = run_sync(recovery.backup_header, handle.read(4096))
    kind = recovery.needs_secret(header)
    secret = None
    if kind:
        secret = os.environ.get("VIVIM_BACKUP_SECRET") or click.prompt(
            "Recovery key" if kind == recovery.RECOVERY_KEY else "Backup passphrase",
            hide_input=kind == recovery.PASSPHRASE,
        )
    data = run_sync(_open_backup, paths, source, secret, kind)  # a wrong secret fails before any question
    existing = control.local_conversations(paths)
    if existing and not merge and not yes:
        question = (
            f"This device already holds {existing:,} conversations. Replace them with the backup's, "
            "merge the backup into them, or cancel?"
        )
        try:
            answer = click.prompt(
                question, type=click.Choice(["replace", "merge", "cancel"]), default="cancel"
            )
        except click.Abort:  # no one to ask (a script, stdin closed)
            raise click.ClickException(
                f"This device already holds {existing:,} conversations. Run `vivim restore {source} --merge` to add "
                f"the backup's to them, or add --yes to replace them with the backup's."
            ) from None
        if answer == "cancel":
            click.echo("Nothing was changed.")
            return
        merge = answer == "merge"
    if merge:
        result = run(control.merge_backup(paths, source, data=data))
        click.echo(
            f"Merged the backup: {result['new_conversations']:,} new conversations and "
            f"{result['new_messages']:,} new messages; the rest was already here."
        )
        return
    result = run(control.restore(paths, source, data=data))
    click.echo(
        f"Restored {counted(result['conversations'], 'conversation')}, {counted(result['messages'], 'message')}."
    )
    click.echo(
        "Pairings are not part of a backup: this device keeps its own identity, and syncs with your other "
        "devices once you pair them (`vivim pair`; again, if it was paired before)."
    )


def _open_backup(paths: Paths, source: Path, secret: str | None, kind: str | None) -> bytes:
    """The backup's plaintext; a secret that does not open it is named for what it is: the user typed
    a recovery key or a passphrase, and "failed authentication" tells them neither which nor what to do."""
    from .. import recovery
    from ..errors import CryptoError
    from ..sync import control

    try:
        return control.decrypt_backup_file(paths, source, secret)
    except CryptoError as exc:
        if "failed authentication" not in exc.message or not kind:
            raise
        what = "recovery key" if kind == recovery.RECOVERY_KEY else "passphrase"
        raise CryptoError(
            f"this {what} does not open {source.name}: check it for typos against the {what} "
            + (
                "shown at your first backup"
                if kind == recovery.RECOVERY_KEY
                else "you chose for your backups"
            )
            + " (or the file was changed after it was written; then restore another backup)"
        ) from None


@click.group("keys", cls=WholeSentenceGroup, short_help="This device's key files.")
def keys_group() -> None:
    """This device's key files."""


@keys_group.command("protect", short_help="Protect the key files with a passphrase.")
@click.option("--remove", is_flag=True, help="Remove the passphrase instead.")
def keys_protect(remove: bool) -> None:
    """Protect the key files with a passphrase (Argon2id); processes then need VIVIM_PASSPHRASE."""
    import os

    from ..sync import crypto

    keys = Paths.default().keys
    old = None
    if crypto.is_protected(keys):
        old = os.environ.get(crypto.PASSPHRASE_ENV) or click.prompt("Current passphrase", hide_input=True)
    new = None if remove else click.prompt("New passphrase", hide_input=True, confirmation_prompt=True)
    try:
        crypto.protect_keys(keys, new, old)
    except CryptoError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(
        "The key files are "
        + (
            "no longer passphrase-protected."
            if remove
            else f"protected. Set {crypto.PASSPHRASE_ENV} for `vivim serve` and the host."
        )
    )
