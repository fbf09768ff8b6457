"""Editions: release (freeze) the current outputs, and say what changed since the last release.

A release copies the edition's files into `editions/<number>/` (archive.py) with a manifest
and a snapshot of the content (chapters, sections, figures, tables, references). The next build
compares the report with the latest snapshot (changes.py) to produce "Changes in this edition"
and a machine-readable change log.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from collections.abc import Callable
from typing import Any

from .archive import _DESCRIBE, MANIFEST, PLAIN_NAME, SNAPSHOT, Release, load_snapshot, releases
from .changes import Changes, compare
from .errors import ReportError
from .markdown import plain
from .model import Chapter, Report
from .reference import format_reference
from .render import targets
from .output import write_atomic
from .revision import revision
from .toolchain import toolchain


def _sections(chapter: Chapter, label: Callable[[str, str], str]) -> list[dict[str, str]]:
    """A chapter's sections in order (id, title, text) as plain text; the text before the first
    section is the pseudo-section "" (with the key points) so that an edited lead counts too.

    Citations are left out: their numbers shift when a source is added earlier in the text.
    """
    blocks = {b.spec.id: b for b in (*chapter.figures, *chapter.tables)}
    opening = [plain(p.tokens, label) for p in chapter.head.key_points]
    sections = [{"id": "", "title": "(opening)", "parts": opening}]
    tokens = chapter.body.tokens
    for i, token in enumerate(tokens):
        heading = chapter.body.heading_at(token.map[0]) if token.type == "heading_open" and token.map else None
        if heading is not None and heading.level in (2, 3):
            sections.append({"id": heading.id, "title": heading.title, "parts": []})
        elif token.type == "inline" and tokens[i - 1].type != "heading_open":
            sections[-1]["parts"].append(plain(token.children or (), label))
        elif token.type == "fence" and token.map and token.map[0] in chapter.body.blocks:
            block = blocks[chapter.body.blocks[token.map[0]]]
            texts = [block.spec.caption] + [c for row in getattr(block, "rows", ()) if isinstance(row, tuple)
                                             for c in row if c is not None]
            sections[-1]["parts"] += [plain(t.tokens, label) for t in texts]
    for note in chapter.body.numbered_notes:
        sections[-1]["parts"] += [plain(t.children or (), label) for t in note.tokens if t.type == "inline"]
    return [{"id": s["id"], "title": s["title"], "text": " ".join(p for p in s["parts"] if p)} for s in sections]


def snapshot(report: Report) -> dict[str, Any]:
    """The comparable content of a report, stored with each release: each chapter's sections as
    plain text, and the captions and references."""
    found = targets(report)

    def label(kind: str, key: str) -> str:
        return key if kind == "gls" else found.get(f"{kind}:{key}", ("", "", ""))[0]

    return {
        "chapters": [{"slug": c.slug, "title": c.title, "sections": _sections(c, label)} for c in report.documents],
        "figures": {f.id: f.caption for f in report.figures},
        "tables": {t.id: t.caption for t in report.tables},
        "references": {r.key: format_reference(r.entry, report.meta.language)[1] for r in report.references},
    }


def changes_since(report: Report, found: tuple[Release, ...]) -> Changes | None:
    """The changes since the latest of the releases found that is older than this edition (None if
    none). Raises ContentError if that release's snapshot is malformed."""
    earlier = [r for r in found if r.number < report.meta.edition.number]
    if not earlier:
        return None
    last = earlier[-1]
    return compare(load_snapshot(last), snapshot(report), last.number, report.meta.edition.note)


def check_release(report: Report) -> None:
    """Refuse (ReportError) to release an edition that is not newer — in number and date — than
    the last release in `report.releases`, or whose content did not change since it."""
    meta = report.meta
    if not report.releases:
        return
    last = report.releases[-1]
    if meta.edition.number <= last.number:
        raise ReportError(f"edition {meta.edition.number} is not newer than the last released "
                          f"edition {last.number}: raise edition.number in report.yaml")
    if meta.edition.date <= last.date:
        raise ReportError(f"edition date {meta.edition.date} is not later than {last.date}, "
                          f"the date of edition {last.number}")
    if load_snapshot(last) == json.loads(json.dumps(snapshot(report))):
        raise ReportError(f"nothing changed since edition {last.number}: there is nothing to release")


def release(report: Report, out: Path, archive: Path, content: Path, names: list[str]) -> Release:
    """Freeze the current edition's files (names in out) into `<archive>/<number>/` with a manifest
    and a snapshot; return the new release. Call it holding the archive's lock (lock.py).

    The files are written into a staging folder of this release's own (`.<number>.partial-…`),
    made read-only there, and the folder is renamed into place in one step: the edition appears
    whole or not at all. Staging folders that killed releases left are removed first.

    Raises ReportError if the edition is not newer than the last release, nothing changed, a file
    was not built, or the edition folder exists; ContentError if the archive is malformed.
    """
    meta = report.meta
    check_release(dataclasses.replace(report, releases=releases(archive)))
    odd = [n for n in names if not PLAIN_NAME.fullmatch(n)]
    if odd:
        raise ReportError(f"cannot release {odd[0]!r}: not {_DESCRIBE[PLAIN_NAME.pattern]}")
    missing = [n for n in names if not (out / n).exists()]
    if missing:
        raise ReportError(f"build the edition first: {', '.join(missing)} not found in {out}")
    folder = archive / str(meta.edition.number)
    if os.path.lexists(folder):
        raise ReportError(f"{folder} already exists: released files never change")
    remove_staging(archive)
    archive.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{meta.edition.number}.partial-", dir=archive))
    try:
        files = []
        for name in names:
            data = (out / name).read_bytes()
            write_atomic(staging / name, data)
            files.append({"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
        manifest = {"edition": meta.edition.number, "date": meta.edition.date, "note": meta.edition.note,
                    "report": meta.id, "revision": revision(content, report.sources), "files": files,
                    "toolchain": toolchain()}
        write_atomic(staging / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        write_atomic(staging / SNAPSHOT, json.dumps(snapshot(report), indent=1, ensure_ascii=False, sort_keys=True))
        for path in staging.iterdir():
            path.chmod(0o444)
        staging.chmod(0o555)
        os.rename(staging, folder)  # the edition appears whole, and read-only, or not at all
    except BaseException:
        _remove(staging)
        raise
    return releases(archive)[-1]


STAGING = re.compile(r"\.[0-9]+\.partial(?:-[A-Za-z0-9_]+)?")


def remove_staging(archive: Path) -> list[str]:
    """Remove the staging folders (`.<number>.partial…`) that killed releases left in the archive;
    return their names. Call it holding the archive's lock: no release is running then."""
    try:
        names = sorted(n for n in os.listdir(archive) if STAGING.fullmatch(n))
    except OSError:
        return []
    for name in names:
        _remove(archive / name)
    return names


def _remove(path: Path) -> None:
    """Remove a folder of the archive that release() made read-only, without following links."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
        return
    for folder, _, _ in os.walk(path):  # real folders only: links are not followed
        os.chmod(folder, 0o755)
    shutil.rmtree(path, ignore_errors=True)
