"""Which process runs the singletons: whoever holds the data directory's lock file.

Several hosts may share one data directory (two browsers, two profiles, `vivim serve`); only
one of them may run the embedding worker, the sync node and the web app. An OS file lock is
released by the kernel when its holder dies, so a crashed host never blocks the next one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO


class DataDirLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def try_acquire(self) -> bool:
        handle = open(self.path, "a+b")
        try:
            if sys.platform == "win32":
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()).encode())
        handle.flush()
        self._file = handle
        return True

    @property
    def held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
