"""Logging that never touches stdout.

stdout is the Native Messaging channel: one stray byte there corrupts the stream and the
browser drops the port. Everything goes to a rotating file in the data directory and stderr
(which Chrome forwards to its own log).
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path
from typing import Any

from .config import private_file

FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


class HumanConsole(logging.Handler):
    """The terminal of `vivim serve`: one plain line per real problem, each said once.

    Libraries (libp2p, multiaddr, zeroconf, asyncio's "Task was destroyed but it is pending!")
    log plenty that means nothing to a person and is expected on a network: it goes to vivim.log
    only. VIVIM's own warnings are shown without timestamp, module or traceback, and a message
    already shown is not repeated (a device that stays unreachable is said once)."""

    def __init__(self, stream: Any = None, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self.stream = stream or sys.stderr
        self.shown: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if not (record.name == "vivim" or record.name.startswith("vivim.")):
            return
        try:
            line = record.getMessage().strip().splitlines()[0] if record.getMessage().strip() else ""
        except Exception:  # noqa: BLE001 - a bad format string must not kill the service
            return
        if not line or line in self.shown:
            return
        self.shown.add(line)
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass  # the terminal went away: the log file still has it


def setup_logging(
    log_file: Path, *, level: int = logging.INFO, stderr: bool = True, console: logging.Handler | None = None
) -> None:
    """Everything to the rotating log file; to stderr, WARNING+ (stderr=True) or `console` instead."""
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    private_file(log_file)
    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=2 * 1024 * 1024, backupCount=3, encoding="utf-8"
    )
    file_handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(file_handler)
    # A library logger with propagate=False and no handler of its own (py-libp2p sets up "libp2p" that
    # way when LIBP2P_DEBUG is unset) falls through to logging.lastResort, which prints on stderr:
    # that was the terminal's "Failed to open TCP stream..." flood. Send such records to the file.
    logging.lastResort = file_handler
    if console is not None:
        root.addHandler(console)
    elif stderr:
        err = logging.StreamHandler(sys.stderr)
        err.setFormatter(logging.Formatter(FORMAT))
        err.setLevel(logging.WARNING)
        root.addHandler(err)
    logging.captureWarnings(True)
