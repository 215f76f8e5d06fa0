"""Where VIVIM keeps its files, and the limits it lives by.

The data directory comes from platformdirs unless VIVIM_HOME overrides it (tests, portable
installs, a second profile). It is created 0700 and every file in it is meant to be 0600,
because it holds the user's conversations and keys.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "vivim"
HOST_NAME = "com.vivim.host"  # native-messaging host name, also the manifest file stem

# The unpacked extension's ID follows from the public `key` in extension/manifest.json.
EXTENSION_ID = "hlpfhamogbdieiklmgnaabielhahljcc"
FIREFOX_EXTENSION_ID = "vivim@vivim.dev"

# Chrome refuses host->browser messages over 1 MB; we page replies well below that.
MAX_OUTGOING_FRAME = 1024 * 1024
OUTGOING_CHUNK_BYTES = 512 * 1024
# Browser->host messages may legally be up to 4 GB; we accept far less and say so.
MAX_INCOMING_FRAME = 8 * 1024 * 1024
# Requests read but not yet answered, at most: past either bound the host reads no further frame until
# one is answered, so a client that pipelines faster than the host works is slowed by its own pipe
# instead of growing the host without limit (a frame's decoded message lives until it is answered).
MAX_INFLIGHT_BYTES = 64 * 1024 * 1024
MAX_INFLIGHT_REQUESTS = 256
# No real message nests deeper than ~6 levels; far deeper JSON is an attack or a bug, and code that
# walks it (json.dumps of a setting, msgspec.convert) would recurse towards a RecursionError.
MAX_NESTING = 64
# A request id is echoed in every reply frame (and every chunk of a chunked one): keep it small.
MAX_REQUEST_ID_CHARS = 128
# What an error reply or a log line repeats of a client's input, at most.
MAX_ECHO_CHARS = 300

DB_FILENAME = "vivim.sqlite3"
LOG_FILENAME = "vivim.log"
RECEIPT_FILENAME = "install.json"  # what `vivim install` wrote (vivim.install.installer)
LOCK_FILENAME = "vivim.lock"
TOKEN_FILENAME = "web.token"
WEB_ADDRESS_FILENAME = "web.address"  # the port the web app really listens on, while it runs


def data_dir_path() -> Path:
    """Where the data directory is ($VIVIM_HOME, else the platform's), without creating it."""
    override = os.environ.get("VIVIM_HOME")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    """The data directory, created with owner-only permissions on first use."""
    path = data_dir_path()
    path.mkdir(parents=True, exist_ok=True)
    _restrict(path, 0o700)
    return path


def private_umask() -> None:
    """Make every file this process creates owner-only (SQLite's -wal/-shm, rotated logs, keys)."""
    if os.name == "posix":
        os.umask(0o077)


def _restrict(path: Path, mode: int) -> None:
    if os.name == "posix":
        current = stat.S_IMODE(path.stat().st_mode)
        if current != mode:
            path.chmod(mode)


def private_file(path: Path) -> Path:
    """Ensure a file exists and only its owner can read it."""
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    _restrict(path, 0o600)
    return path


@dataclass(frozen=True)
class Paths:
    """Every file VIVIM owns inside one data directory."""

    root: Path

    @classmethod
    def default(cls) -> Paths:
        return cls(data_dir())

    @property
    def db(self) -> Path:
        return self.root / DB_FILENAME

    @property
    def log(self) -> Path:
        return self.root / LOG_FILENAME

    @property
    def lock(self) -> Path:
        return self.root / LOCK_FILENAME

    @property
    def reindex_lock(self) -> Path:
        """Held by the one `vivim reindex` at work on this data directory."""
        return self.root / "reindex.lock"

    @property
    def web_token(self) -> Path:
        return self.root / TOKEN_FILENAME

    @property
    def web_address(self) -> Path:
        return self.root / WEB_ADDRESS_FILENAME

    @property
    def keys(self) -> Path:
        path = self.root / "keys"
        path.mkdir(exist_ok=True)
        _restrict(path, 0o700)
        return path
