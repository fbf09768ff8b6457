"""Editions: release (freeze) the current outputs, and say what changed since the last release.

A release copies the edition's files into `editions/<number>/` with a manifest (edition, date,
SHA-256 and size of each file, source revision) and a snapshot of the content (chapters,
sections, words, figures, tables, references). The next build compares the report with the
latest snapshot to produce "Changes in this edition" and a machine-readable change log.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import shutil
import stat
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from .errors import ContentError, Problem, ReportError, display_path
from .fonts import visible_text
from .model import Chapter, Report
from .output import write_atomic
from .yamlfile import CONTROL

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


@dataclass(frozen=True)
class ChapterChange:
    """How one chapter changed between two editions."""

    slug: str
    title: str
    status: str  # added | removed | changed
    old_title: str = ""
    sections_added: tuple[str, ...] = ()
    sections_removed: tuple[str, ...] = ()
    sections_changed: tuple[str, ...] = ()
    words_added: int = 0
    words_removed: int = 0


@dataclass(frozen=True)
class Changes:
    """What changed since the previous released edition."""

    since: int
    note: str
    chapters: tuple[ChapterChange, ...]
    figures_added: tuple[str, ...] = ()
    figures_removed: tuple[str, ...] = ()
    tables_added: tuple[str, ...] = ()
    tables_removed: tuple[str, ...] = ()
    references_added: tuple[str, ...] = ()
    references_removed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.chapters or self.figures_added or self.figures_removed or self.tables_added
                    or self.tables_removed or self.references_added or self.references_removed)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


# --- snapshots ---------------------------------------------------------------------------

def _sections(chapter: Chapter) -> list[dict[str, str]]:
    """The sections in order (id, title, text), from the chapter's web HTML; the text before the
    first section is the pseudo-section "" so that an edited lead paragraph counts too."""
    # Citation numbers shift when a source is added earlier in the text: compare without them.
    html = re.sub(r'<span class="citation">.*?</span>', "", chapter.html_web, flags=re.S)
    parts = re.split(r'(<h[23] id="([^"]+)">.*?</h[23]>)', html, flags=re.S)
    sections = [{"id": "", "title": "(opening)", "text": visible_text(parts[0])}]
    for i in range(1, len(parts) - 1, 3):
        title = re.sub(r"^\s*[\d.]+\s+", "", visible_text(parts[i])).strip()
        sections.append({"id": parts[i + 1], "title": title, "text": visible_text(parts[i + 2])})
    return sections


def snapshot(report: Report) -> dict[str, Any]:
    """The comparable content of a report, stored with each release."""
    return {
        "chapters": [{"slug": c.slug, "title": c.title, "sections": _sections(c)}
                     for c in report.front + report.chapters],
        "figures": {f.id: f.caption for f in report.figures},
        "tables": {t.id: t.caption for t in report.tables},
        "references": {r.key: r.text for r in report.references},
    }


def _words(text: str) -> list[str]:
    """Words as the word counts count them: punctuation is not a word."""
    return re.findall(r"[^\W_]+(?:[’'-][^\W_]+)*", text)


def compare(old: dict[str, Any], new: dict[str, Any], since: int, note: str) -> Changes:
    """Everything that differs between two snapshots."""
    old_chapters = {c["slug"]: c for c in old["chapters"]}
    new_chapters = {c["slug"]: c for c in new["chapters"]}
    changes: list[ChapterChange] = []
    for slug, chapter in new_chapters.items():
        before = old_chapters.get(slug)
        if before is None:
            words = sum(len(_words(s["text"])) for s in chapter["sections"])
            changes.append(ChapterChange(slug, chapter["title"], "added", words_added=words))
            continue
        changed = _chapter_change(before, chapter)
        if changed:
            changes.append(changed)
    for slug, chapter in old_chapters.items():
        if slug not in new_chapters:
            words = sum(len(_words(s["text"])) for s in chapter["sections"])
            changes.append(ChapterChange(slug, chapter["title"], "removed", words_removed=words))

    def diff(kind: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (tuple(sorted(set(new[kind]) - set(old[kind]))),
                tuple(sorted(set(old[kind]) - set(new[kind]))))

    figures, tables, references = diff("figures"), diff("tables"), diff("references")
    return Changes(since, note, tuple(changes), *figures, *tables, *references)


def _chapter_change(before: dict[str, Any], after: dict[str, Any]) -> ChapterChange | None:
    old_s = {s["id"]: s for s in before["sections"]}
    new_s = {s["id"]: s for s in after["sections"]}
    added = tuple(new_s[k]["title"] for k in new_s if k not in old_s)
    removed = tuple(old_s[k]["title"] for k in old_s if k not in new_s)
    edited = tuple(new_s[k]["title"] for k in new_s if k in old_s and new_s[k] != old_s[k])
    old_words = [w for s in before["sections"] for w in _words(s["text"])]
    new_words = [w for s in after["sections"] for w in _words(s["text"])]
    plus = minus = 0
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes():
        if op in ("replace", "delete"):
            minus += a2 - a1
        if op in ("replace", "insert"):
            plus += b2 - b1
    retitled = before["title"] != after["title"]
    if not (added or removed or edited or retitled or plus or minus):
        return None
    return ChapterChange(after["slug"], after["title"], "changed", before["title"] if retitled else "",
                         added, removed, edited, plus, minus)


# --- the archive -------------------------------------------------------------------------
#
# Everything in the archive is untrusted: a manifest names the files the detail page offers and
# that every build copies into the output. Manifests are checked field by field, files are opened
# without following links or blocking on FIFOs, and their size and SHA-256 must match before a
# single byte of them is used.

MANIFEST_LIMIT = 1 << 20  # bytes; a manifest lists a handful of files
SNAPSHOT_LIMIT = 64 << 20  # the text of every section of the report
FILE_LIMIT = 256 << 20  # one released PDF or EPUB
EDITION_FOLDER = re.compile(r"[0-9]+")
# The names the publisher gives its outputs: `<id>-ed<n>-<edition>.pdf`, `<id>-ed<n>.epub`.
PLAIN_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\.(?:pdf|epub)")
SHA256 = re.compile(r"[0-9a-f]{64}")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
REVISION = re.compile(r"(?:git:(?:[0-9a-f]{40}|[0-9a-f]{64})\+)?sha256:[0-9a-f]{64}|git:(?:[0-9a-f]{40}|[0-9a-f]{64})")
MANIFEST_FIELDS = ("edition", "date", "note", "report", "revision", "files")
FILE_FIELDS = ("name", "sha256", "size")


class _Unreadable(Exception):
    """A file that is not a regular file, or cannot be read; the message completes '<name> …'."""


class _TooLarge(_Unreadable):
    """A file larger than the limit it was read with."""


def _fail(shown: str, field: str, message: str, line: int = 0) -> NoReturn:
    raise ContentError([Problem(shown, line, field, message)])


def _open_folder(path: Path) -> int:
    """A descriptor of the folder at path, which must not be a symbolic link (OSError if not)."""
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)


def _read_file(folder: int, name: str, limit: int) -> bytes:
    """The bytes of the regular file `name` directly in the open folder, at most limit bytes.

    Symbolic links, FIFOs, devices and sockets are refused before anything is opened (lstat),
    and again on the open descriptor (O_NOFOLLOW, O_NONBLOCK, fstat), so that nothing can be
    swapped in between. Raises _Unreadable (or _TooLarge) with a message about the file.
    """
    try:
        before = os.stat(name, dir_fd=folder, follow_symlinks=False)
        if stat.S_ISLNK(before.st_mode):
            raise _Unreadable("is a symbolic link, not a regular file")
        if not stat.S_ISREG(before.st_mode):
            raise _Unreadable("is not a regular file")
        handle = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
    except FileNotFoundError:
        raise _Unreadable("does not exist") from None
    except OSError as exc:
        raise _Unreadable(f"cannot be read ({exc.strerror})") from None
    try:
        opened = os.fstat(handle)
        if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (before.st_dev, before.st_ino):
            raise _Unreadable("was replaced while it was being read")
        if opened.st_size > limit:
            raise _TooLarge(f"is larger than the limit of {limit} bytes")
        return _read_upto(handle, limit)
    except OSError as exc:
        raise _Unreadable(f"cannot be read ({exc.strerror})") from None
    finally:
        os.close(handle)


def _read_upto(handle: int, limit: int) -> bytes:
    """Everything the open file holds; _TooLarge if that is more than limit bytes (it grew)."""
    chunks, total = [], 0
    while total <= limit:
        chunk = os.read(handle, min(1 << 20, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
    raise _TooLarge(f"is larger than the limit of {limit} bytes")


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
        raw = _read_file(folder, name, limit)
    except _Unreadable as exc:
        _fail(shown, "", f"the file {exc}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        _fail(shown, "", f"not valid UTF-8 (byte {exc.start})", raw[:exc.start].count(b"\n") + 1)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        _fail(shown, "", f"invalid JSON: {exc.msg}", exc.lineno)
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
        _fail(shown, field, f"control character U+{ord(bad.group()):04X} is not allowed")
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
    return Release(number, day, note, revision, _parse_files(data, shown), folder)


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
        data = _read_file(folder, item.name, min(item.size, FILE_LIMIT))
    except _TooLarge:
        _fail(shown, f"{where}.size", f"{item.name} is larger than the {item.size} bytes recorded")
    except _Unreadable as exc:
        _fail(shown, f"{where}.name", f"{item.name} {exc}")
    if len(data) != item.size:
        _fail(shown, f"{where}.size", f"{item.name} has {len(data)} bytes, not the {item.size} recorded")
    if hashlib.sha256(data).hexdigest() != item.sha256:
        _fail(shown, f"{where}.sha256", f"{item.name} does not match the SHA-256 recorded (it was changed)")
    return data


def _edition_folders(archive: Path) -> list[Path]:
    """The edition folders of the archive: those named by a whole number, in number order.

    Hidden folders (a `.3.partial` left by a release that was killed) and other names are no
    editions. Raises ReportError if the archive is not a folder.
    """
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


def changes_since(report: Report, found: tuple[Release, ...]) -> Changes | None:
    """The changes since the latest of the releases found that is older than this edition (None if
    none). Raises ContentError if that release's snapshot is malformed."""
    earlier = [r for r in found if r.number < report.meta.edition.number]
    if not earlier:
        return None
    last = earlier[-1]
    return compare(load_snapshot(last), snapshot(report), last.number, report.meta.edition.note)


def changes_since_last(report: Report, archive: Path) -> Changes | None:
    """The changes since the latest release in the archive older than this edition (None if none)."""
    return changes_since(report, releases(archive))


# --- the source revision -----------------------------------------------------------------
#
# The content folder may be a repository of its own, whose configuration can make git run any
# command (core.fsmonitor, hooks, filters …). So git is never run: its files are read instead.

GIT_LIMIT = 16 << 20  # bytes of a file in .git (packed-refs can be long)
COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
REF_NAME = re.compile(r"refs/(?:[A-Za-z0-9_+-][A-Za-z0-9._+-]*/)*[A-Za-z0-9_+-][A-Za-z0-9._+-]*")


def _git_text(path: Path) -> str | None:
    """A small file of a repository as text, or None if it is missing, odd or unreadable."""
    try:
        handle = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return _read_file(handle, path.name, GIT_LIMIT).decode("utf-8")
    except (_Unreadable, UnicodeDecodeError):
        return None
    finally:
        os.close(handle)


def _git_dirs(content: Path) -> tuple[Path, Path] | None:
    """The git folder of the repository holding content and its common folder (where the refs
    of a linked worktree live), or None if there is none or it is unusual."""
    for folder in (content, *content.parents):
        dotgit = folder / ".git"
        try:
            mode = os.lstat(dotgit).st_mode
        except FileNotFoundError:
            continue
        except OSError:
            return None
        if stat.S_ISDIR(mode):
            gitdir = dotgit
        else:  # a linked worktree or a submodule: `gitdir: <path>`; a link or FIFO gives up
            match = re.fullmatch(r"gitdir: ([^\n]+)\n?", _git_text(dotgit) or "")
            if not match:
                return None
            gitdir = folder / match.group(1)
        common = _git_text(gitdir / "commondir")
        return gitdir, (gitdir / common.strip() if common else gitdir)
    return None


def _resolve_ref(ref: str, gitdir: Path, common: Path) -> str | None:
    """What a ref points at: a commit, `ref: <other ref>`, or None."""
    if not REF_NAME.fullmatch(ref) or ".." in ref or ref.endswith(".lock"):
        return None
    for folder in dict.fromkeys((gitdir, common)):
        text = _git_text(folder / ref)
        if text is not None:
            return text.strip()
    for line in (_git_text(common / "packed-refs") or "").splitlines():
        commit, _, name = line.partition(" ")
        if name == ref and COMMIT.fullmatch(commit):
            return commit
    return None


def _git_commit(content: Path) -> str | None:
    """The commit checked out in the repository holding content, read from .git/HEAD and the refs
    (loose or packed); None if there is no repository, no commit yet, or anything is unusual."""
    dirs = _git_dirs(content.resolve())
    if dirs is None:
        return None
    value = _git_text(dirs[0] / "HEAD")
    for _ in range(5):  # HEAD → refs/heads/main → commit; a symbolic ref may add a step or two
        value = (value or "").strip()
        if COMMIT.fullmatch(value):
            return value
        if not value.startswith("ref: "):
            return None
        value = _resolve_ref(value[5:].strip(), *dirs)
    return None


def _hash_tree(folder: Path, relative: str, digest: Any) -> None:
    """Add every file under folder to digest, in name order, without following links: a link adds
    its target's name, a regular file its bytes, anything else (FIFO, device) only its name."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError:
        digest.update(b"?" + os.fsencode(relative) + b"\0")
        return
    for entry in entries:
        name = f"{relative}{entry.name}"
        if entry.name == ".git":
            continue
        if entry.is_symlink():
            digest.update(b"L" + os.fsencode(name) + b"\0" + os.fsencode(os.readlink(entry.path)) + b"\0")
        elif entry.is_dir(follow_symlinks=False):
            _hash_tree(Path(entry.path), name + "/", digest)
        elif entry.is_file(follow_symlinks=False):
            digest.update(b"F" + os.fsencode(name) + b"\0" + _file_digest(Path(entry.path)) + b"\0")
        else:
            digest.update(b"O" + os.fsencode(name) + b"\0")


def _file_digest(path: Path) -> bytes:
    """SHA-256 of a regular file, read without following a link or waiting on a FIFO."""
    digest = hashlib.sha256()
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return b"unreadable"
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return b"not a file"
        while chunk := os.read(handle, 1 << 20):
            digest.update(chunk)
    finally:
        os.close(handle)
    return digest.digest()


def content_digest(content: Path) -> str:
    """SHA-256 over the names and bytes of the content files (`.git` left out), as 64 hex digits."""
    digest = hashlib.sha256()
    _hash_tree(content, "", digest)
    return digest.hexdigest()


def _revision(content: Path) -> str:
    """The source of a release: `git:<commit>+sha256:<digest>` when the content is in a git
    repository (the digest tells whether the files were the committed ones), else `sha256:<digest>`.

    Reads the repository's files; never runs git, whose configuration the content controls.
    """
    commit = _git_commit(content)
    digest = f"sha256:{content_digest(content)}"
    return f"git:{commit}+{digest}" if commit else digest


def release(report: Report, out: Path, archive: Path, content: Path, names: list[str]) -> Release:
    """Freeze the current edition's files (names in out) into `<archive>/<number>/` with a manifest
    and a snapshot; return the new release.

    Raises ReportError if the edition is not newer than the last release, nothing changed, a file
    was not built, or the edition folder exists; ContentError if the archive is malformed.
    """
    meta = report.meta
    previous = releases(archive)
    if previous:
        last = previous[-1]
        if meta.edition.number <= last.number:
            raise ReportError(f"edition {meta.edition.number} is not newer than the last released "
                              f"edition {last.number}: raise edition.number in report.yaml")
        if meta.edition.date <= last.date:
            raise ReportError(f"edition date {meta.edition.date} is not later than {last.date}, "
                              f"the date of edition {last.number}")
        if load_snapshot(last) == json.loads(json.dumps(snapshot(report))):
            raise ReportError(f"nothing changed since edition {last.number}: there is nothing to release")
    odd = [n for n in names if not PLAIN_NAME.fullmatch(n)]
    if odd:
        raise ReportError(f"cannot release {odd[0]!r}: not {_DESCRIBE[PLAIN_NAME.pattern]}")
    missing = [n for n in names if not (out / n).exists()]
    if missing:
        raise ReportError(f"build the edition first: {', '.join(missing)} not found in {out}")
    folder = archive / str(meta.edition.number)
    if os.path.lexists(folder):
        raise ReportError(f"{folder} already exists: released files never change")
    staging = archive / f".{meta.edition.number}.partial"
    if staging.is_symlink():
        staging.unlink()
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    files = []
    for name in names:
        data = (out / name).read_bytes()
        write_atomic(staging / name, data)
        files.append({"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
    manifest = {"edition": meta.edition.number, "date": meta.edition.date, "note": meta.edition.note,
                "report": meta.id, "revision": _revision(content), "files": files}
    write_atomic(staging / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    write_atomic(staging / SNAPSHOT, json.dumps(snapshot(report), indent=1, ensure_ascii=False, sort_keys=True))
    staging.rename(folder)  # the edition appears whole or not at all
    for path in [folder, *folder.iterdir()]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    return releases(archive)[-1]
