"""The editions archive: released editions as their manifests record them, read as untrusted input.

`editions/<n>/` holds a released edition's files (PDFs, EPUB), a manifest (edition, date, note,
source revision, and the name, SHA-256 and size of each file) and a snapshot of its content.
Every build reads the archive: the detail page offers the released files and the next edition
says what changed. Everything in it is untrusted: manifests are checked field by field, files
are read without following links or blocking on pipes, and their size and SHA-256 must match
before a single byte of them is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from .errors import ContentError, Problem, ReportError, display_path
from .files import UnsafeFile, read_regular
from .yamlfile import CONTROL, character_problem

MANIFEST = "manifest.json"
SNAPSHOT = "snapshot.json"


@dataclass(frozen=True)
class ReleasedFile:
    """A file of a released edition."""

    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Release:
    """A released edition as recorded in its manifest."""

    number: int
    date: str
    note: str
    revision: str
    files: tuple[ReleasedFile, ...]
    folder: Path = field(compare=False)
    # What the edition was built with (toolchain.FIELDS → version, or whether hb-subset was
    # installed); empty for editions released before it was recorded.
    toolchain: tuple[tuple[str, str | bool], ...] = field(default=(), compare=False)


# --- the archive -------------------------------------------------------------------------
#
# Everything in the archive is untrusted: a manifest names the files the detail page offers and
# that every build copies into the output. Manifests are checked field by field, files are opened
# without following links or blocking on FIFOs, and their size and SHA-256 must match before a
# single byte of them is used.

MANIFEST_LIMIT = 1 << 20  # bytes; a manifest lists a handful of files
SNAPSHOT_LIMIT = 64 << 20  # the text of every section of the report
FILE_LIMIT = 256 << 20  # one released PDF or EPUB
EDITION_FOLDER = re.compile(r"[0-9]{1,10}")  # an edition number is at most 2**31: ten digits
# The names the publisher gives its outputs: `<id>-ed<n>-<edition>.pdf`, `<id>-ed<n>.epub`.
PLAIN_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\.(?:pdf|epub)")
SHA256 = re.compile(r"[0-9a-f]{64}")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
REVISION = re.compile(r"(?:git:(?:[0-9a-f]{40}|[0-9a-f]{64})\+)?sha256:[0-9a-f]{64}|git:(?:[0-9a-f]{40}|[0-9a-f]{64})")
VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_~-]{0,63}")
MANIFEST_FIELDS = ("edition", "date", "note", "report", "revision", "files", "toolchain")
FILE_FIELDS = ("name", "sha256", "size")


def _fail(shown: str, field: str, message: str, line: int = 0) -> NoReturn:
    raise ContentError([Problem(shown, line, field, message)])


def _open_folder(path: Path) -> int:
    """A descriptor of the folder at path, which must not be a symbolic link (OSError if not)."""
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict; ValueError if a key appears twice (the last would win)."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen.add(key)
    return dict(pairs)


def _read_json(folder: int, name: str, limit: int, shown: str) -> Any:
    """The JSON document in the file `name` of the open folder; ContentError naming shown if bad."""
    try:
        raw = read_regular(name, limit, dir_fd=folder)
    except UnsafeFile as exc:
        _fail(shown, "", f"the file {exc}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        _fail(shown, "", f"not valid UTF-8 (byte {exc.start})", raw[:exc.start].count(b"\n") + 1)
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
        # A "\ud800" escape makes a lone surrogate, which no output can hold: find any at once.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
        return data
    except json.JSONDecodeError as exc:
        _fail(shown, "", f"invalid JSON: {exc.msg}", exc.lineno)
    except UnicodeEncodeError as exc:
        _fail(shown, "", f"invalid JSON: {character_problem(exc.object[exc.start])}")
    except ValueError as exc:  # a duplicate key, a number of too many digits
        _fail(shown, "", f"invalid JSON: {exc}")
    except RecursionError:
        _fail(shown, "", "invalid JSON: nested too deeply")


def _shown(folder: Path, name: str = "") -> str:
    """How errors name a file of an edition folder (which is not a link: it was opened with O_NOFOLLOW)."""
    return display_path(folder) + (f"/{name}" if name else "")


def _text(data: dict[str, Any], key: str, shown: str, field: str, pattern: re.Pattern[str] | None = None,
          required: bool = True) -> str:
    """The text value data[key]: required unless told, without control characters, matching pattern."""
    if key not in data and not required:
        return ""
    if key not in data:
        _fail(shown, field, "required field is missing")
    value = data[key]
    if not isinstance(value, str):
        _fail(shown, field, f"expected text, got {_json_type(value)}")
    bad = CONTROL.search(value)
    if bad:
        _fail(shown, field, character_problem(bad.group()))
    if pattern and not pattern.fullmatch(value):
        _fail(shown, field, f"{value!r} is not {_DESCRIBE[pattern.pattern]}")
    return value


def _whole(data: dict[str, Any], key: str, shown: str, field: str, least: int, most: int) -> int:
    """The whole number data[key], from least to most."""
    if key not in data:
        _fail(shown, field, "required field is missing")
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(shown, field, f"expected a whole number, got {_json_type(value)}")
    if value < least:
        _fail(shown, field, f"{value} is less than {least}")
    if value > most:
        _fail(shown, field, f"{value} is larger than the limit of {most}")
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {dict: "an object", list: "a list", str: "text", int: "a number", float: "a number",
            type(None): "null"}.get(type(value), type(value).__name__)


_DESCRIBE = {
    PLAIN_NAME.pattern: "a plain file name",
    SHA256.pattern: "a SHA-256 (64 lowercase hexadecimal digits)",
    ISO_DATE.pattern: "a date as YYYY-MM-DD",
    REVISION.pattern: "a revision (git:<commit>, sha256:<digest> or both)",
    VERSION.pattern: "a version (letters, digits and . + _ ~ -, at most 64)",
}


def _object(value: Any, shown: str, field: str, fields: tuple[str, ...]) -> dict[str, Any]:
    """value as a JSON object that has only the given fields."""
    if not isinstance(value, dict):
        _fail(shown, field, f"expected an object, got {_json_type(value)}")
    for key in value:
        if key not in fields:
            _fail(shown, f"{field}.{key}" if field else key, "unknown field")
    return value


def _parse_manifest(data: Any, folder: Path) -> Release:
    """The release a manifest describes, every field checked; ContentError naming the field if bad."""
    shown = _shown(folder, MANIFEST)
    data = _object(data, shown, "", MANIFEST_FIELDS)
    number = _whole(data, "edition", shown, "edition", 1, 1 << 31)
    if str(number) != folder.name:
        _fail(shown, "edition", f"{number} is not the number of its folder {folder.name!r}")
    day = _text(data, "date", shown, "date", ISO_DATE)
    try:
        date.fromisoformat(day)
    except ValueError as exc:
        _fail(shown, "date", f"impossible date {day!r} ({exc})")
    note = _text(data, "note", shown, "note", required=False)
    _text(data, "report", shown, "report", required=False)
    revision = _text(data, "revision", shown, "revision", required=False)
    if revision and not REVISION.fullmatch(revision):
        _fail(shown, "revision", f"{revision!r} is not {_DESCRIBE[REVISION.pattern]}")
    return Release(number, day, note, revision, _parse_files(data, shown), folder, _parse_toolchain(data, shown))


def _parse_toolchain(data: dict[str, Any], shown: str) -> tuple[tuple[str, str | bool], ...]:
    """The manifest's optional `toolchain`: an object of known fields, each a version (text) or,
    for `harfbuzz-subset`, true or false."""
    from .toolchain import FIELDS

    if "toolchain" not in data:
        return ()
    found = _object(data["toolchain"], shown, "toolchain", FIELDS)
    parsed: list[tuple[str, str | bool]] = []
    for key in FIELDS:
        if key not in found:
            continue
        if key == "harfbuzz-subset":
            if not isinstance(found[key], bool):
                _fail(shown, f"toolchain.{key}", f"expected true/false, got {_json_type(found[key])}")
            parsed.append((key, found[key]))
        else:
            parsed.append((key, _text(found, key, shown, f"toolchain.{key}", VERSION)))
    return tuple(parsed)


def _parse_files(data: dict[str, Any], shown: str) -> tuple[ReleasedFile, ...]:
    """The manifest's `files`: a list of {name, sha256, size}, each name plain and listed once."""
    if "files" not in data:
        _fail(shown, "files", "required field is missing")
    if not isinstance(data["files"], list):
        _fail(shown, "files", f"expected a list, got {_json_type(data['files'])}")
    files: list[ReleasedFile] = []
    names: set[str] = set()
    for index, entry in enumerate(data["files"], 1):
        where = f"files[{index}]"
        entry = _object(entry, shown, where, FILE_FIELDS)
        name = _text(entry, "name", shown, f"{where}.name", PLAIN_NAME)
        if name in names:
            _fail(shown, f"{where}.name", f"{name!r} is listed twice")
        names.add(name)
        files.append(ReleasedFile(name, _text(entry, "sha256", shown, f"{where}.sha256", SHA256),
                                  _whole(entry, "size", shown, f"{where}.size", 0, FILE_LIMIT)))
    return tuple(files)


def _verified(release: Release, folder: int, item: ReleasedFile) -> bytes:
    """The bytes of a released file, checked against its manifest entry; ContentError if they differ."""
    shown = _shown(release.folder, MANIFEST)
    index = release.files.index(item) + 1 if item in release.files else 0
    where = f"files[{index}]"
    if isinstance(release.number, bool) or not isinstance(release.number, int) or release.number < 1:
        _fail(shown, "edition", f"{release.number!r} is not a positive whole number")
    if not PLAIN_NAME.fullmatch(item.name):
        _fail(shown, f"{where}.name", f"{item.name!r} is not {_DESCRIBE[PLAIN_NAME.pattern]}")
    try:
        data = read_regular(item.name, min(item.size, FILE_LIMIT), dir_fd=folder)
    except UnsafeFile as exc:
        if str(exc).startswith("is larger than"):
            _fail(shown, f"{where}.size", f"{item.name} is larger than the {item.size} bytes recorded")
        _fail(shown, f"{where}.name", f"{item.name} {exc}")
    if len(data) != item.size:
        _fail(shown, f"{where}.size", f"{item.name} has {len(data)} bytes, not the {item.size} recorded")
    if hashlib.sha256(data).hexdigest() != item.sha256:
        _fail(shown, f"{where}.sha256", f"{item.name} does not match the SHA-256 recorded (it was changed)")
    return data


def _edition_folders(archive: Path) -> list[Path]:
    """The edition folders of the archive: those named by a whole number, in number order.

    Hidden folders (a `.3.partial` left by a release that was killed) and other names are no
    editions. Raises ReportError if the archive is not a folder (a symbolic link is not: a release
    must not write through it).
    """
    if archive.is_symlink():
        raise ReportError(f"{display_path(archive)}: the editions archive is a symbolic link; it must be a folder")
    try:
        names = os.listdir(archive)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ReportError(f"{display_path(archive)}: cannot read the editions archive ({exc.strerror})") from None
    return [archive / name for name in sorted((n for n in names if EDITION_FOLDER.fullmatch(n)), key=int)]


def _load_release(folder: Path) -> Release:
    """The release in one edition folder, its manifest checked and every file verified."""
    try:
        handle = _open_folder(folder)
    except OSError as exc:
        reason = "a symbolic link" if folder.is_symlink() else f"not a folder ({exc.strerror})"
        _fail(_shown(folder.parent, folder.name), "", f"is {reason}: an edition must be a folder")
    try:
        release = _parse_manifest(_read_json(handle, MANIFEST, MANIFEST_LIMIT, _shown(folder, MANIFEST)), folder)
        for item in release.files:
            _verified(release, handle, item)
    finally:
        os.close(handle)
    return release


def releases(archive: Path) -> tuple[Release, ...]:
    """Every released edition in the archive (`<archive>/<n>/manifest.json`), oldest first.

    The archive is untrusted: each manifest must be well formed (edition = folder number, date
    YYYY-MM-DD, files of plain names with SHA-256 and size) and each file it lists must be a
    regular file of that size and digest. A missing archive has no releases. Raises ContentError
    (one problem: the manifest and the field) for anything else, ReportError if it is unreadable.
    """
    return tuple(_load_release(folder) for folder in _edition_folders(archive))


def read_released(release: Release, item: ReleasedFile) -> bytes:
    """The bytes of one released file, read again and verified against the manifest as releases() does.

    Raises ContentError if the name is not a plain file name, the file is not a regular file of the
    edition folder, or its size or SHA-256 differ from the manifest's.
    """
    try:
        handle = _open_folder(release.folder)
    except OSError as exc:
        _fail(_shown(release.folder), "", f"the edition folder cannot be opened ({exc.strerror})")
    try:
        return _verified(release, handle, item)
    finally:
        os.close(handle)


_SNAPSHOT_SHAPE: Any = {
    "chapters": [{"slug": str, "title": str, "sections": [{"id": str, "title": str, "text": str}]}],
    "figures": {str: str},
    "tables": {str: str},
    "references": {str: str},
}


def _shape_problem(value: Any, shape: Any, field: str) -> tuple[str, str] | None:
    """The first (field, message) where value does not have the shape, or None.

    A shape is `str` (text), `[shape]` (a list of them), `{str: str}` (an object of texts) or an
    object of shapes (exactly those fields).
    """
    if shape is str:
        return None if isinstance(value, str) else (field, f"expected text, got {_json_type(value)}")
    if isinstance(shape, list):
        if not isinstance(value, list):
            return field, f"expected a list, got {_json_type(value)}"
        return next((p for i, item in enumerate(value, 1) if (p := _shape_problem(item, shape[0], f"{field}[{i}]"))),
                    None)
    if not isinstance(value, dict):
        return field, f"expected an object, got {_json_type(value)}"
    prefix = f"{field}." if field else ""
    if str in shape:
        return next((p for key, item in value.items() if (p := _shape_problem(item, str, prefix + key))), None)
    for key in value:
        if key not in shape:
            return prefix + key, "unknown field"
    for key, inner in shape.items():
        if key not in value:
            return prefix + key, "required field is missing"
        problem = _shape_problem(value[key], inner, prefix + key)
        if problem:
            return problem
    return None


def load_snapshot(release: Release) -> dict[str, Any]:
    """The content snapshot of a release (chapters, figures, tables, references), checked.

    Raises ContentError naming snapshot.json and the field if it is unreadable or malformed.
    """
    shown = _shown(release.folder, SNAPSHOT)
    try:
        handle = _open_folder(release.folder)
    except OSError as exc:
        _fail(_shown(release.folder), "", f"the edition folder cannot be opened ({exc.strerror})")
    try:
        data = _read_json(handle, SNAPSHOT, SNAPSHOT_LIMIT, shown)
    finally:
        os.close(handle)
    problem = _shape_problem(data, _SNAPSHOT_SHAPE, "")
    if problem:
        _fail(shown, *problem)
    return data  # type: ignore[no-any-return]


