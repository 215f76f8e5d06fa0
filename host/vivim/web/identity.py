"""Is the listener on a port THIS vault's web app? Asked before the token goes into any URL.

Anything can listen on 127.0.0.1:<port>: another user's process on a shared machine, another
program, or the web app of another VIVIM data directory. Handing any of them
`http://127.0.0.1:PORT/?token=...` gives away the vault. So the client (the popup's `web.url`,
`vivim web`, `vivim open`) sends a fresh random nonce to the unauthenticated
`GET /api/identity?nonce=...`, and only the holder of this vault's token can answer
HMAC-SHA256(token, port + nonce). The token itself never crosses the wire. The port the server
accepted the connection on is part of the proof, so a listener that relays the challenge to
the real server on another port gets an answer that does not match its own port.

The real port is also recorded in the data directory (`web.address`): when the configured
port is taken (by another vault's web app, say), the service listens on a free one instead
and the clients of this vault still find it.

Free of aiohttp: the native-messaging host calls this on its request path.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import os
import re
import secrets
from pathlib import Path
from typing import Literal

from .token import LOOPBACK

log = logging.getLogger(__name__)

IDENTITY_PATH = "/api/identity"
NONCE_PATTERN = re.compile(r"[0-9a-f]{32,128}")
PROBE_TIMEOUT = 1.0
MAX_ANSWER_BYTES = 4096

Listener = Literal["vivim", "other", "none"]


def proof(token: str, port: int, nonce: str) -> str:
    """The answer only this vault's web app can give for `nonce` on `port`."""
    message = f"vivim-web-identity\n{port}\n{nonce}".encode("ascii")
    return hmac.new(token.encode("utf-8"), message, hashlib.sha256).hexdigest()


def probe(port: int, token: str, timeout: float = PROBE_TIMEOUT) -> Listener:
    """ "vivim" when this vault's web app answers on `port`, "other" when something else listens
    there (or answers wrongly), "none" when nothing accepts the connection."""
    nonce = secrets.token_hex(16)
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        try:
            connection.connect()
        except (OSError, OverflowError, ValueError):  # refused, unreachable, or not a port number
            return "none"
        try:
            connection.request(
                "GET",
                f"{IDENTITY_PATH}?nonce={nonce}",
                headers={"Accept": "application/json", "Connection": "close"},
            )
            response = connection.getresponse()
            body = response.read(MAX_ANSWER_BYTES + 1)
            if response.status != 200 or len(body) > MAX_ANSWER_BYTES:
                return "other"
            answer = json.loads(body)
        except (OSError, http.client.HTTPException, ValueError):
            return "other"
    finally:
        connection.close()
    offered = answer.get("proof") if isinstance(answer, dict) else None
    if isinstance(offered, str) and hmac.compare_digest(offered.encode(), proof(token, port, nonce).encode()):
        return "vivim"
    return "other"


# ---- where the web app really listens ---------------------------------------------------------


def record_port(path: Path, port: int) -> None:
    """Write `{"port", "pid"}` atomically, owner-only, for this vault's clients to find."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(json.dumps({"port": port, "pid": os.getpid()}) + "\n")
    os.replace(tmp, path)


def forget_port(path: Path, port: int) -> None:
    """Remove the record if it is still ours (a newer server may have written its own)."""
    if recorded_port(path) == port:
        path.unlink(missing_ok=True)


def recorded_port(path: Path) -> int | None:
    try:
        value = json.loads(path.read_text(encoding="ascii")).get("port")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and 0 < value < 65536 else None


def find_web_app(record: Path, configured: int, token: str) -> tuple[int, Listener]:
    """This vault's web app: the recorded port first, then the configured one.

    Returns the port to name and what listens there; the port is the configured one unless
    this vault's app was verified elsewhere.
    """
    seen: Listener = "none"
    candidates = [p for p in (recorded_port(record), configured) if p is not None]
    for port in dict.fromkeys(candidates):
        found = probe(port, token)
        if found == "vivim":
            return port, found
        if port == configured:
            seen = found
        elif found == "other":
            log.info("the recorded web port %d is answered by something else", port)
    return configured, seen
