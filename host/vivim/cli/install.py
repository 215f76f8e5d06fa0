"""`vivim install`, `vivim uninstall`, `vivim doctor`: register the host with browsers and check it."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import click

from ..config import APP_NAME, HOST_NAME, Paths
from ..errors import InstallError
from ..install.browsers import BROWSERS
from ..install.extension import extension_folder
from ..install.installer import InstallPlan, apply_install, plan_install, uninstall
from ..install.launcher import launcher_path
from ..install.machine import Machine
from ..install.registry import system_registry
from ._common import counted, echo_json

BROWSER_CHOICE = click.Choice(list(BROWSERS))
MCP_CHOICE = click.Choice(["claude-desktop", "claude-code", "cursor", "vscode", "gemini-cli", "codex"])
WIDTH = 100
AREA_TITLES = {
    "install": "Install record",
    "browsers": "Browsers",
    "host": "Host",
    "database": "Database",
    "sqlite-vec": "sqlite-vec",
    "permissions": "Permissions",
    "embedding": "Embedding model",
    "web": "Web app",
    "mcp": "AI clients (MCP)",
}
STATUS_STYLE = {"ok": ("ok", "green"), "warn": ("warn", "yellow"), "fail": ("FAIL", "red")}


def _data_root(create: bool) -> Path:
    """The data directory; a dry run must not even create it."""
    if create:
        return Paths.default().root
    override = os.environ.get("VIVIM_HOME")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def _wrap(text: str, indent: int) -> str:
    pad = " " * indent
    return textwrap.fill(
        text, WIDTH, initial_indent=pad, subsequent_indent=pad, break_long_words=False, break_on_hyphens=False
    )  # paths stay whole


def _print_plan(plan: InstallPlan, *, dry_run: bool) -> None:
    verb = "Would register" if dry_run else "Registered"
    click.echo(f"{'Would write' if dry_run else 'Wrote'} launcher {plan.launcher}")
    click.echo(f"  it runs: {' '.join(plan.command)}")
    if plan.machine.env.get("VIVIM_HOME"):
        click.echo(f"  with VIVIM_HOME={plan.data_root}")
    if plan.registrations:
        click.echo(f"{verb} {HOST_NAME} for:")
        width = max(len(r.label) for r in plan.registrations)
        for r in plan.registrations:
            click.echo(f"  {r.label.ljust(width)}  {r.manifest}")
            for key in r.registry_keys:
                click.echo(f"  {''.ljust(width)}  HKCU\\{key}")
    if plan.skipped:
        click.echo("Not registered:")
        for s in plan.skipped:
            click.echo(f"  {s.label}:")
            click.echo(_wrap(s.reason, 4))
    for note in plan.notes:
        click.echo("Note:")
        click.echo(_wrap(note, 4))


@click.command("install", short_help="Register VIVIM with your browsers.")
@click.option(
    "--browser",
    "browsers",
    multiple=True,
    type=BROWSER_CHOICE,
    help="Register for this browser only (repeatable). Default: every browser found.",
)
@click.option(
    "--profile-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="For a Chromium-family browser started with --user-data-dir DIR: write DIR/NativeMessagingHosts/.",
)
@click.option(
    "--mcp",
    "mcp_clients",
    multiple=True,
    type=MCP_CHOICE,
    help="Add VIVIM's MCP server to this AI client's config instead (repeatable).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be written; change nothing.")
def install_command(
    browsers: tuple[str, ...], profile_dir: Path | None, mcp_clients: tuple[str, ...], dry_run: bool
) -> None:
    """Register the native-messaging host with your browsers (or, with --mcp, VIVIM's MCP server with an AI client)."""
    machine = Machine.current()
    if mcp_clients:
        _install_mcp(machine, mcp_clients, dry_run)
        return
    try:
        plan = plan_install(
            machine, _data_root(create=not dry_run), browsers=list(browsers) or None, profile_dir=profile_dir
        )
        if not dry_run:
            apply_install(plan, system_registry())
    except InstallError as exc:
        raise click.ClickException(exc.message) from None
    except OSError as exc:
        raise click.ClickException(
            f"could not write {exc.filename or 'a file'}: {exc.strerror or exc}"
        ) from None
    _print_plan(plan, dry_run=dry_run)
    if not plan.registrations:
        # A home server meant for `vivim serve` has no browser: that is a complete install, not a failure.
        click.echo(
            "No browser was found on this machine (looked for Chrome, Chromium, Brave, Edge, Vivaldi and "
            "Firefox), so no browser can capture yet. Everything else works: `vivim serve` runs the web "
            "app and sync, `vivim import` reads your export files. If you install a browser later, run "
            "`vivim install` again (or name one: `vivim install --browser chromium`)."
        )
        return
    if not dry_run:
        folder = extension_folder()
        if folder is not None:
            click.echo(f"The extension is in {folder}")
        click.echo("Next: load the extension in your browser, then run `vivim doctor`.")


@click.command("uninstall", short_help="Remove what install wrote (data stays).")
@click.option(
    "--browser",
    "browsers",
    multiple=True,
    type=BROWSER_CHOICE,
    help="Unregister this browser only (repeatable). Default: everything `vivim install` wrote.",
)
@click.option(
    "--profile-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Unregister only the --user-data-dir profile DIR.",
)
@click.option(
    "--mcp",
    "mcp_clients",
    multiple=True,
    type=MCP_CHOICE,
    help="Remove VIVIM's MCP server from this AI client's config only (repeatable).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be removed; change nothing.")
def uninstall_command(
    browsers: tuple[str, ...], profile_dir: Path | None, mcp_clients: tuple[str, ...], dry_run: bool
) -> None:
    """Remove the manifests, registry keys and launcher that `vivim install` wrote, and VIVIM's entries in AI
    clients' MCP configs (your data stays)."""
    root = _data_root(create=False)
    if not root.exists():
        click.echo("Nothing to remove: VIVIM was never installed here.")
        return
    if mcp_clients or not (browsers or profile_dir):
        _uninstall_mcp(root, mcp_clients, dry_run)
        if mcp_clients:
            return
    try:
        result = uninstall(
            Machine.current(),
            root,
            browsers=list(browsers) or None,
            profile_dir=profile_dir,
            registry=system_registry(),
            dry_run=dry_run,
        )
    except InstallError as exc:
        raise click.ClickException(exc.message) from None
    if not result.removed:
        click.echo("Nothing to remove.")
        _mention_other_installations(root)
    else:
        click.echo("Would remove:" if dry_run else "Removed:")
        for item in result.removed:
            # Folders are only the ones install created, and only once nothing else is left in them.
            folder = dry_run and Path(item).is_dir()
            note = "  (a folder the install created: empty once the files above are gone)" if folder else ""
            click.echo(f"  {item}{note}")
    if result.kept:
        click.echo("Still registered: " + ", ".join(r.label for r in result.kept))
    click.echo(f"Your conversations stay in {root}.")


def _install_mcp(machine: Machine, clients: tuple[str, ...], dry_run: bool) -> None:
    from ..install.mcp_clients import CLIENTS, install_client

    root = _data_root(create=not dry_run)
    for key in clients:
        try:
            done = install_client(machine, root, key, dry_run=dry_run)
        except InstallError as exc:
            raise click.ClickException(f"{CLIENTS[key].label}: {exc.message}") from None
        except OSError as exc:
            raise click.ClickException(
                f"could not write {exc.filename or 'a file'}: {exc.strerror or exc}"
            ) from None
        verb = "Would add" if dry_run else "Added"
        click.echo(f"{verb} the 'vivim' MCP server to {CLIENTS[key].label}: {done.path}")
        click.echo(f"  it runs: {' '.join([done.entry['command'], *done.entry['args']])}")
        if done.backup:
            click.echo(f"  backup of the previous file: {done.backup}")
    if not dry_run:
        click.echo(
            "Restart the client to load it; `vivim doctor` checks the set-up, `vivim uninstall --mcp CLIENT` "
            "removes it."
        )


def _uninstall_mcp(root: Path, clients: tuple[str, ...], dry_run: bool) -> None:
    from ..install.mcp_clients import CLIENTS, installed_clients, uninstall_client

    try:
        keys = list(clients) or installed_clients(root)
        for key in keys:
            removal = uninstall_client(Machine.current(), root, key, dry_run=dry_run)
            done, would = {
                "restored": (
                    "restored the file as it was before (backup)",
                    "would restore the file as it was",
                ),
                "deleted file": (
                    "deleted the file VIVIM had created",
                    "would delete the file VIVIM had created",
                ),
                "removed entry": (
                    "removed the 'vivim' server entry",
                    "would remove the 'vivim' server entry",
                ),
                "absent": ("nothing to remove", "nothing to remove"),
            }[removal.action]
            what = would if dry_run else done
            click.echo(f"MCP, {CLIENTS[key].label}: {what} ({removal.path})")
    except InstallError as exc:
        raise click.ClickException(exc.message) from None


def _mention_other_installations(root: Path) -> None:
    """Manifests for our host that another data directory's install wrote (another VIVIM_HOME)."""
    from ..install.discover import discover

    ours = str(launcher_path(root, Machine.current()))
    for found in discover(Machine.current(), system_registry()):
        target = (found.manifest_data or {}).get("path")
        if target != ours:
            click.echo(
                f"  {found.registration.manifest} belongs to another installation (it starts {target}); "
                "run `vivim uninstall` with that installation's VIVIM_HOME, or delete the file."
            )


@click.command("doctor", short_help="Check that everything works.")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.option(
    "--timeout", type=float, default=15.0, show_default=True, help="Seconds to wait for the host's reply."
)
def doctor_command(as_json: bool, timeout: float) -> None:
    """Check the registration, the host, the database and the data directory."""
    from ..install.doctor import is_green, run_doctor
    from ..install.mcp_doctor import check_mcp

    paths = Paths.default()
    machine = Machine.current()
    checks = run_doctor(machine, paths, system_registry(), timeout=timeout) + check_mcp(machine, timeout)
    green = is_green(checks)
    if as_json:
        echo_json({"ok": green, "data_dir": str(paths.root), "checks": [c.to_json() for c in checks]})
    else:
        click.echo(f"VIVIM doctor  (data directory {paths.root})")
        area = None
        for check in checks:
            if check.area != area:
                area = check.area
                click.echo(click.style(AREA_TITLES.get(area, area), bold=True))
            word, colour = STATUS_STYLE[check.status]
            click.echo(f"  {click.style(word.ljust(4), fg=colour)}  {check.summary}")
            if check.problem:
                click.echo(_wrap(check.problem, 8))
            if check.fix:
                click.echo(_wrap(f"Fix: {check.fix}", 8))
        failures = sum(c.status == "fail" for c in checks)
        warnings = sum(c.status == "warn" for c in checks)
        if not green:
            verdict, colour = f"{counted(failures, 'problem')} to fix.", "red"
        elif warnings:
            verdict, colour = f"Working, with {counted(warnings, 'thing')} worth knowing above.", "yellow"
        else:
            verdict, colour = "All good.", "green"
        click.echo(click.style(verdict, fg=colour, bold=True))
    sys.exit(0 if green else 1)
