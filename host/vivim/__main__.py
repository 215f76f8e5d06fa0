"""`python -m vivim` and the `vivim` command.

`vivim mcp` (exactly that: what `vivim install --mcp` writes into AI clients' configs) starts the MCP
server without importing the click CLI and every subcommand's modules: an AI client waits for the server
at each start, and the CLI's imports cost ~0.1-0.2 s it does not need. Everything else, including
`vivim mcp --help` and `vivim mcp remember`, goes through the CLI as before.
"""

from __future__ import annotations

import sys


def run() -> None:
    if sys.argv[1:] == ["mcp"]:
        from .mcp.server import main as serve_mcp

        sys.exit(serve_mcp())
    from .cli import main

    main()


if __name__ == "__main__":
    run()
