"""What changed between two editions, computed from their content snapshots.

A snapshot (edition.snapshot) records each chapter's title and sections' text, and the
figures, tables and references of an edition; `compare` lists what differs. The types here
are carried by the Report (model.py) into every writer's "Changes in this edition".
"""

from __future__ import annotations

import difflib
import json
from dataclasses import asdict, dataclass
from typing import Any

from .markdown import WORD


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


def _words(text: str) -> list[str]:
    """Words as the word counts count them (markdown.WORD): punctuation is not a word."""
    return WORD.findall(text)


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
