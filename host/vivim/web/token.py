"""The web app's access token: random, kept in the data directory, readable by its owner only.

Kept free of aiohttp so the native-messaging host can hand the page's address to the popup
(`web.url`) without importing the web stack on its start-up path.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ..config import private_file

TOKEN_BYTES = 32
LOOPBACK = "127.0.0.1"


def load_or_create_token(path: Path) -> str:
    """The web token, created (random, file 0600) the first time anything needs it."""
    if path.exists():
        token = path.read_text(encoding="ascii").strip()
        if token:
            private_file(path)
            return token
    token = secrets.token_urlsafe(TOKEN_BYTES)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(token + "\n")
    try:
        if path.exists():  # an empty file left by a crash
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # atomic, and refuses to overwrite a token another process just made
    except FileExistsError:
        return load_or_create_token(path)
    finally:
        tmp.unlink(missing_ok=True)
    private_file(path)
    return token


def web_url(port: int, token: str) -> str:
    """The address to open once: it sets the cookie and redirects to a token-free URL."""
    return f"http://{LOOPBACK}:{port}/?token={token}"
