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
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import ReportError
from .fonts import visible_text
from .model import Chapter, Report
from .output import write_atomic

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

def releases(archive: Path) -> tuple[Release, ...]:
    """Every released edition in the archive, oldest first."""
    found = []
    for manifest in sorted(archive.glob(f"*/{MANIFEST}")):
        data = json.loads(manifest.read_text(encoding="utf-8"))
        found.append(Release(int(data["edition"]), str(data["date"]), str(data.get("note", "")),
                             str(data.get("revision", "")),
                             tuple(ReleasedFile(f["name"], f["sha256"], int(f["size"])) for f in data["files"]),
                             manifest.parent))
    return tuple(sorted(found, key=lambda r: r.number))


def changes_since_last(report: Report, archive: Path) -> Changes | None:
    """The changes since the latest release that is older than this edition (None if none)."""
    earlier = [r for r in releases(archive) if r.number < report.meta.edition.number]
    if not earlier:
        return None
    last = earlier[-1]
    old = json.loads((last.folder / SNAPSHOT).read_text(encoding="utf-8"))
    return compare(old, snapshot(report), last.number, report.meta.edition.note)


def _revision(content: Path) -> str:
    """The git commit of the content if it is in a clean checkout, else a hash of the files."""
    try:
        commit = subprocess.run(["git", "-C", str(content), "rev-parse", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(content), "status", "--porcelain", "."],
                               capture_output=True, text=True, check=True).stdout.strip()
        if commit and not dirty:
            return f"git:{commit}"
    except (OSError, subprocess.CalledProcessError):
        pass
    digest = hashlib.sha256()
    for path in sorted(p for p in content.rglob("*") if p.is_file()):
        digest.update(path.relative_to(content).as_posix().encode() + b"\0" + path.read_bytes())
    return f"sha256:{digest.hexdigest()}"


def release(report: Report, out: Path, archive: Path, content: Path, names: list[str]) -> Release:
    """Freeze the current edition's files; refuse if it is not newer or nothing changed."""
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
        old = json.loads((last.folder / SNAPSHOT).read_text(encoding="utf-8"))
        if old == json.loads(json.dumps(snapshot(report))):
            raise ReportError(f"nothing changed since edition {last.number}: there is nothing to release")
    missing = [n for n in names if not (out / n).exists()]
    if missing:
        raise ReportError(f"build the edition first: {', '.join(missing)} not found in {out}")
    folder = archive / str(meta.edition.number)
    if folder.exists():
        raise ReportError(f"{folder} already exists: released files never change")
    staging = archive / f".{meta.edition.number}.partial"
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
