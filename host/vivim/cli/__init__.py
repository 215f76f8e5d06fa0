"""The `vivim` command line: a thin layer of click commands over the library.

Each module in this package adds its commands to `main` in a `register(main)` function, so an
area (install, import/export, sync, web) owns one file here and nothing else. Commands only parse
arguments and call library functions that tests call directly.
"""

from __future__ import annotations

import importlib
import pkgutil

import click

from .. import __version__


class WholeSentenceGroup(click.Group):
    """Lists commands with their whole first paragraph, wrapped, where click would cut it to fit one
    line ("Addresses this device dials to reach its paired..."; `e.g.` read as a sentence end)."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            rows.append((name, cmd.short_help or _first_paragraph(cmd.help or "")))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n")[0].split())


@click.group(cls=WholeSentenceGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vivim")
def main() -> None:
    """VIVIM: your AI conversations, on your own machine."""
    from ..config import private_umask

    private_umask()


def _register_commands() -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{module.name}")
        register = getattr(mod, "register", None)
        if register is not None:
            register(main)


_register_commands()
