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

from .config import private_file

FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


def setup_logging(log_file: Path, *, level: int = logging.INFO, stderr: bool = True) -> None:
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
    if stderr:
        err = logging.StreamHandler(sys.stderr)
        err.setFormatter(logging.Formatter(FORMAT))
        err.setLevel(logging.WARNING)
        root.addHandler(err)
    logging.captureWarnings(True)
