"""Finding export files inside a ZIP, a folder or a path, and streaming their JSON arrays.

The providers' exports are one JSON array per file (ChatGPT's can pass 1 GB), so they are
read item by item with ijson (its C backend when installed) and never loaded whole. A ZIP
member is streamed straight out of the archive; nothing is extracted to disk.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ..errors import ImportFormatError
from ..providers import PROVIDERS, listed
from .common import Malformed

# Formats this package reads: each provider's (vivim.providers), and "vivim", our own
# `vivim export --format json`. A provider's JSON format is read by the importer module of
# the same name, which names the item keys that recognise it (ITEM_KEYS).
# Providers with an official export (the chat sites); coding agents' logs are read by agent_logs.
PROVIDER_FORMATS = {**{p.key: p.import_formats for p in PROVIDERS if p.import_formats}, "vivim": ("vivim",)}
FORMATS = tuple(f for formats in PROVIDER_FORMATS.values() for f in formats)

# Files of the providers' exports that hold no conversations: never read, never named as skipped
# (Claude's users.json and projects.json, ChatGPT's and DeepSeek's user.json and feedback files,
# ChatGPT's 2026 library_files.json (its file library) and export_manifest.json (the parts of a
# multipart export), Grok's prod-mc-*.json account and billing files).
COMPANION_FILES = frozenset(
    {
        "users.json",
        "user.json",
        "projects.json",
        "message_feedback.json",
        "model_comparisons.json",
        "shared_conversations.json",
        "group_chats.json",
        "library_files.json",
        "export_manifest.json",
        "chat.html",
    }
)
COMPANION_PREFIXES = ("prod-mc-",)
# How many skipped files an error names before counting the rest.
SKIPPED_NAMED = 10
# How many parser events detection may read before giving up on a file.
DETECT_EVENT_LIMIT = 20_000
# Folder names under which Takeout keeps Gemini's activity (localized names contain these).
GEMINI_FOLDER_HINTS = ("gemini", "bard")
# The Drive folder AI Studio saves its chats in ("Google AI Studio"), as Drive and Takeout name it.
AISTUDIO_FOLDER_HINTS = ("ai studio", "aistudio", "ai_studio", "makersuite")


@dataclass(frozen=True)
class ExportFile:
    """One file to import: a plain path, or a member of a ZIP archive."""

    path: Path
    member: str | None = None  # name inside the ZIP
    format: str | None = None  # filled in by detection

    @property
    def name(self) -> str:
        return PurePosixPath(self.member).name if self.member else self.path.name

    @property
    def parts(self) -> tuple[str, ...]:
        return PurePosixPath(self.member).parts if self.member else self.path.parts

    def describe(self) -> str:
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        if self.member is None:
            with open(self.path, "rb") as handle:
                yield handle
        else:
            with zipfile.ZipFile(self.path) as archive, archive.open(self.member) as handle:
                yield handle


@dataclass(frozen=True)
class Skipped:
    """A file in the folder or ZIP that was not imported, and why (the user sees both)."""

    file: str
    reason: str


def find_export_files(path: Path, provider: str | None = None) -> list[ExportFile]:
    """Every importable file under `path` (a ZIP, a folder or one file), each with its format."""
    return find_exports(path, provider)[0]


def find_exports(path: Path, provider: str | None = None) -> tuple[list[ExportFile], list[Skipped]]:
    """The importable files under `path`, each with its format, and the files that looked like they
    might be exports but are not (damaged, not JSON, another provider's), each with its reason.

    Files are recognised by their content, not their name: in a folder or ZIP every JSON and CSV file
    is read (the first item only, DETECT_EVENT_LIMIT parser events at most), so a renamed export is
    found and a damaged one is named. Raises ImportFormatError, naming every file and its reason,
    when nothing at all can be imported."""
    path = Path(path)
    if provider is not None and provider not in PROVIDER_FORMATS:
        raise ImportFormatError(
            f"{provider} has no export files to import here; choose one of "
            f"{', '.join(PROVIDER_FORMATS)} (coding agents' logs: `vivim import --agents`)"
        )
    if not path.exists():
        raise ImportFormatError(f"{path} does not exist")
    candidates: list[ExportFile]
    explicit = False
    skipped: list[Skipped] = []
    if path.is_dir():
        candidates = _in_folder(path, skipped)
    elif path.stat().st_size == 0:
        raise ImportFormatError(
            f"{path} is empty (0 bytes): there is nothing to import; if it is a download, "
            "it did not finish, so download the export again"
        )
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if not n.endswith("/"))
        candidates = [ExportFile(path, member=n) for n in names if _candidate(PurePosixPath(n).parts)]
    elif _starts_like_zip(path):
        raise ImportFormatError(damaged_zip(path))
    else:
        candidates = [ExportFile(path)]
        explicit = True
    allowed = PROVIDER_FORMATS.get(provider or "", FORMATS)
    found: list[ExportFile] = []
    for candidate in candidates:
        fmt, reason = classify(candidate)
        if fmt is None and explicit and provider:
            fmt = allowed[0] if not candidate.name.lower().endswith((".html", ".htm")) else allowed[-1]
        if fmt is not None and fmt in allowed:
            found.append(ExportFile(candidate.path, candidate.member, fmt))
        elif fmt is not None:
            wanted = next((info.name for info in PROVIDERS if info.key == provider), provider)
            skipped.append(Skipped(candidate.describe(), f"it is {_format_name(fmt)}, not {wanted}'s"))
        else:
            skipped.append(Skipped(candidate.describe(), reason or "it is not an export VIVIM reads"))
    if not found:
        what = (
            f"{next((info.name for info in PROVIDERS if info.key == provider), provider)} export"
            if provider
            else f"{listed('or', exports=True).replace(' or ', ', ')} or VIVIM export"
        )
        if explicit and skipped:
            raise ImportFormatError(f"{path} is not a {what}: {skipped[0].reason}")
        reasons = "; ".join(f"{s.file}: {s.reason}" for s in skipped[:SKIPPED_NAMED])
        more = len(skipped) - SKIPPED_NAMED
        reasons += f"; and {more} more files that are not exports" if more > 0 else ""
        raise ImportFormatError(f"found no {what} in {path}" + (f". {reasons}" if reasons else ""))
    return found, skipped


def _in_folder(folder: Path, skipped: list[Skipped]) -> list[ExportFile]:
    """The candidate files of a folder, the members of the ZIPs in it included: providers deliver
    exports as ZIPs, and a user points VIVIM at the folder they were downloaded to. A ZIP that cannot
    be opened is named in `skipped` (a damaged one with its reason), never fatal to the others."""
    out: list[ExportFile] = []
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or p.name.startswith("."):
            continue
        if p.suffix.lower() == ".zip":
            out.extend(_zip_members(p, skipped))
        elif _candidate(p.parts, (folder.name, *p.relative_to(folder).parts)):
            out.append(ExportFile(p))
    return out


def _zip_members(path: Path, skipped: list[Skipped]) -> list[ExportFile]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if not n.endswith("/"))
    except (zipfile.BadZipFile, OSError, EOFError):
        skipped.append(Skipped(str(path), "the ZIP is damaged or incomplete (an interrupted download?)"))
        return []
    return [ExportFile(path, member=n) for n in names if _candidate(PurePosixPath(n).parts)]


def _format_name(fmt: str) -> str:
    """ "a ChatGPT export", "a VIVIM export": a detected format as words."""
    if fmt == "vivim":
        return "a VIVIM export"
    name = next((info.name for info in PROVIDERS if fmt in info.import_formats), fmt)
    return f"{'an' if name[:1] in 'AEIO' else 'a'} {name} export"


def _starts_like_zip(path: Path) -> bool:
    """A ZIP whose end is missing (the central directory is written last) still starts with PK\\3\\4."""
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def damaged_zip(path: Path | str) -> str:
    return (
        f"the ZIP {path} is damaged or incomplete (an interrupted download?): download the export again "
        "and import the new file"
    )


def broken_json(error: Exception) -> str:
    """ijson/yajl errors as a sentence: yajl's own text spans lines and draws an arrow at the byte."""
    text = str(error)
    if "premature EOF" in text or "Incomplete JSON" in text or "parse error: premature" in text:
        return "the file ends in the middle of its JSON (an interrupted download or copy?)"
    if isinstance(error, UnicodeDecodeError):
        return "the file is not UTF-8 text"
    if isinstance(error, (zipfile.BadZipFile, EOFError)):
        return "the ZIP is damaged or incomplete (an interrupted download?)"
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    if isinstance(error, (csv.Error, Malformed)):
        return f"the file is not a CSV export VIVIM reads ({first.strip().rstrip('.')})"
    return f"the file is not valid JSON ({first.strip().rstrip('.')})"


def _candidate(parts: tuple[str, ...], inside: tuple[str, ...] | None = None) -> bool:
    """Whether a file may be an export, to be read and recognised by its content: every JSON and CSV
    file but the parts of an export that hold no conversations, HTML only in a Gemini folder (Takeout's
    other products keep the same activity pages), and AI Studio's extensionless prompt files.
    `inside`: its path from the folder the user named (with that folder's name), so folders above it
    (a home called "aistudio") do not make every file a candidate."""
    name = parts[-1].lower()
    if name.startswith(".") or name in COMPANION_FILES or name.startswith(COMPANION_PREFIXES):
        return False
    if name.endswith((".json", ".csv")) or name in export_file_names():
        return True
    if name.endswith((".html", ".htm")) and _under_gemini_folder(parts):
        return True
    return _under_aistudio_folder(parts if inside is None else inside)  # prompt files: no extension


def _under_gemini_folder(parts: tuple[str, ...]) -> bool:
    return any(hint in part.lower() for part in parts[:-1] for hint in GEMINI_FOLDER_HINTS)


def _under_aistudio_folder(parts: tuple[str, ...]) -> bool:
    return any(hint in part.lower() for part in parts[:-1] for hint in AISTUDIO_FOLDER_HINTS)


def detect_format(export: ExportFile, *, explicit: bool = False) -> str | None:
    """Which export a file is, from the keys of its first item (not from its name)."""
    return classify(export)[0]


def classify(export: ExportFile) -> tuple[str | None, str | None]:
    """(format, None) for an export; (None, why it is not one) for any other file.

    A JSON file that breaks off after its first item's keys were recognised is that format: the
    import then keeps what comes before the break and says where it stopped."""
    name = export.name.lower()
    try:
        if _size(export) == 0:
            return None, "it is empty (0 bytes)"
        if name.endswith(".csv"):
            fmt = _detect_csv(export)
            return fmt, None if fmt else "it is a CSV file, but not an activity export VIVIM reads"
        if name.endswith((".html", ".htm")):
            with export.open() as handle:
                head = handle.read(64 * 1024).decode("utf-8", "replace")
            if "outer-cell" in head:
                return "gemini-html", None
            if name == "chat.html" or "var jsonData" in head:
                # The page ChatGPT's export ZIP holds for reading it in a browser: people pick it first.
                return None, (
                    "it is ChatGPT's chat.html, a page for reading the export in a browser: import "
                    "conversations.json from the same export, or the export's ZIP as it is"
                )
            return None, "it is not Gemini's activity page"
        with export.open() as handle:
            return _detect_json(handle)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is named with its reason, never fatal
        return None, broken_json(exc)


def _size(export: ExportFile) -> int | None:
    if export.member is None:
        return export.path.stat().st_size
    with zipfile.ZipFile(export.path) as archive:
        return archive.getinfo(export.member).file_size


def _detect_csv(export: ExportFile) -> str | None:
    """A CSV export (Copilot's) is recognised by its header line (an importer's `matches_header`)."""
    with export.open() as handle:
        head = handle.read(4096).decode("utf-8", "replace")
    for fmt, module in _json_importers():
        matches = getattr(module, "matches_header", None)
        if matches is not None and matches(head):
            return fmt
    return None


def _detect_json(handle: IO[bytes]) -> tuple[str | None, str | None]:
    """The format of a JSON export, from the keys of its first recognised item.

    Formats can share a key (DeepSeek's items have ChatGPT's `mapping` too), so the first item is read
    to its end (or DETECT_EVENT_LIMIT events) and the format whose recognising keys it has best wins:
    the largest share of the format's own ITEM_KEYS, then the most of them, then the registry's order."""
    import ijson

    markers = item_key_markers()
    tops = top_key_markers()
    seen: dict[str, int] = {}
    item_prefix: str | None = None
    try:
        for count, (prefix, event, value) in enumerate(ijson.parse(handle)):
            if count > DETECT_EVENT_LIMIT:
                break
            if prefix == "" and event == "map_key" and value == "vivim_export":
                return "vivim", None
            if prefix in ("", "prompt") and event == "map_key" and value in tops:
                return tops[value], None  # a file that is one object (an AI Studio prompt file)
            if event == "map_key" and (prefix, value) in markers and item_prefix in (None, prefix):
                item_prefix = prefix
                for fmt in markers[prefix, value]:
                    seen[fmt] = seen.get(fmt, 0) + 1
            elif seen and event == "end_map" and prefix == item_prefix:
                break  # the first recognised item, read whole
            if prefix == "" and event == "end_array":
                break
    except Exception as exc:  # noqa: BLE001 - ijson's errors vary by backend
        if not seen:
            return None, broken_json(exc)
    if not seen:
        return None, "it is JSON, but holds no conversations of an export VIVIM reads"
    wanted = {fmt: len(module.ITEM_KEYS) for fmt, module in _json_importers() if module.ITEM_KEYS}
    order = list(wanted)
    return max(seen, key=lambda fmt: (seen[fmt] / wanted[fmt], seen[fmt], -order.index(fmt))), None


def item_key_markers() -> dict[tuple[str, str], list[str]]:
    """(items prefix, item key) -> the formats it recognises, from each provider's JSON importer: its
    ITEM_KEYS, found on the items of its ITEMS_PREFIX (default "item": a top-level array; Grok's sit
    under an object)."""
    markers: dict[tuple[str, str], list[str]] = {}
    for fmt, module in _json_importers():
        prefix = items_prefix(module)
        for key in module.ITEM_KEYS:
            markers.setdefault((prefix, key), []).append(fmt)
    return markers


def export_file_names() -> frozenset[str]:
    """Export files not named conversations*.json, by name (an importer's FILE_NAMES)."""
    return frozenset(n.lower() for _, module in _json_importers() for n in getattr(module, "FILE_NAMES", ()))


def items_prefix(module: Any) -> str:
    """Where an importer's conversations sit in its file (ijson prefix)."""
    return str(getattr(module, "ITEMS_PREFIX", "item"))


def _json_importers() -> list[tuple[str, Any]]:
    import importlib

    out = []
    for info in PROVIDERS:
        fmt = info.import_formats[0] if info.import_formats else None
        if fmt is not None:
            out.append((fmt, importlib.import_module(f"{__package__}.{fmt.replace('-', '_')}")))
    return out


def top_key_markers() -> dict[str, str]:
    """Top-level key -> format, for formats whose file is one object (importer's TOP_KEYS)."""
    markers: dict[str, str] = {}
    for fmt, module in _json_importers():
        markers.update(dict.fromkeys(getattr(module, "TOP_KEYS", ()), fmt))
    return markers


def iter_array(handle: IO[bytes], prefix: str = "item") -> Iterator[Any]:
    """Items of the JSON array at `prefix`, one at a time, numbers as floats."""
    import ijson

    yield from ijson.items(handle, prefix, use_float=True)


def read_text(export: ExportFile) -> str:
    with export.open() as handle:
        return io.TextIOWrapper(handle, encoding="utf-8", errors="replace").read()
