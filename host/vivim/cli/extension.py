"""`vivim extension path` and `vivim extension build`: the browser extension's folder and store packages."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import WholeSentenceGroup, run_sync


@click.group("extension", cls=WholeSentenceGroup, short_help="The browser extension's folder and packages.")
def extension_group() -> None:
    """The browser extension: its folder, and packages for the Chrome Web Store and Firefox Add-ons."""


@extension_group.command("path", short_help="Print the extension's folder.")
def extension_path() -> None:
    """Print the folder to load unpacked (chrome://extensions, Developer mode, Load unpacked)."""
    from ..install.extension import ENV_FOLDER, extension_folder

    folder = extension_folder()
    if folder is None:
        raise click.ClickException(
            "The extension's folder was not found. Run this inside your VIVIM checkout (or run the "
            f"checkout's installer/install.sh once: it records the folder), or set {ENV_FOLDER} to the "
            "folder that holds its manifest.json."
        )
    click.echo(str(folder))


@extension_group.command("build", short_help="Build the store packages (zip, xpi).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Folder to write the packages to.",
)
def extension_build(out_dir: Path) -> None:
    """Build vivim-VERSION-chrome.zip (Chrome Web Store) and vivim-VERSION-firefox.xpi (addons.mozilla.org).

    Both are unsigned: the stores sign what they publish. See extension/README.md for self-distribution.
    """
    from ..install.extension import build_packages

    for package in run_sync(build_packages, out_dir):
        where = (
            "Chrome Web Store"
            if package.store == "chrome"
            else "addons.mozilla.org (or sign it there to self-host)"
        )
        click.echo(f"{package.path}  for {where}")
