"""The `vivim` command line: a thin layer of click commands over the library.

One module per area (install, search, editing the library, import/export, sync, web, the host processes); COMMANDS
below is the one list of top-level commands, and docs/cli.md documents each of them (a test
compares it with `--help`). Commands only parse arguments and call library functions that tests
call directly.
"""

from __future__ import annotations

import click

from .. import __version__
from . import extension, host, install, library, mcp, retrieval, search, sync, transfer, web
from ._common import WholeSentenceGroup


@click.group(cls=WholeSentenceGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vivim")
def main() -> None:
    """VIVIM: your AI conversations, on your own machine."""
    from ..config import private_umask

    private_umask()


COMMANDS: tuple[click.Command, ...] = (
    install.install_command,
    install.uninstall_command,
    install.doctor_command,
    extension.extension_group,
    search.search_command,
    search.stats_command,
    library.conversation_group,
    transfer.import_command,
    transfer.export_command,
    retrieval.reindex_command,
    host.serve_command,
    host.host_command,
    web.web_command,
    web.open_command,
    mcp.mcp_command,
    sync.pair_command,
    sync.devices_group,
    sync.peers_group,
    sync.backup_command,
    sync.restore_command,
    sync.keys_group,
)
for command in COMMANDS:
    main.add_command(command)
