"""What changed between two editions, computed from their content snapshots.

A snapshot (edition.snapshot) records each chapter's title and sections' text, and the
figures, tables and references of an edition; `compare` lists what differs. The types here
are carried by the Report (model.py) into every writer's "Changes in this edition".
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
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


# Comparing word lists with difflib takes time that grows faster than their length (89 s for a
# chapter of 300 KB with scattered edits), and snapshots come from the untrusted archive. So a
# chapter is compared sentence by sentence first, and only the runs of changed sentences word
# by word, each run of at most DIFF_RUN words and all of them together at most DIFF_WORDS; past
# those bounds words count as added or removed by how often they occur (exact unless words moved).
DIFF_SENTENCES = 5_000  # sentences of a chapter compared one by one, after its unchanged start and end
DIFF_RUN = 5_000  # words of one run of changed sentences (old and new together) compared word by word
DIFF_WORDS = 100_000  # words of one chapter compared word by word, in all its runs together
SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n")


def _sentences(sections: list[dict[str, Any]]) -> list[str]:
    """A chapter's text as sentences (a section always ends one)."""
    return [part for s in sections for part in SENTENCE_END.split(s["text"]) if part]


def _counted(old: list[str], new: list[str]) -> tuple[int, int]:
    """Words added and removed, by how often each occurs in old and new: linear, and exact
    unless words moved."""
    before, after = Counter(old), Counter(new)
    return sum((after - before).values()), sum((before - after).values())


def _diffed(old: list[str], new: list[str]) -> tuple[int, int]:
    """Words added and removed, by difflib's matching of the two lists."""
    plus = minus = 0
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op in ("replace", "delete"):
            minus += a2 - a1
        if op in ("replace", "insert"):
            plus += b2 - b1
    return plus, minus


def word_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> tuple[int, int]:
    """(words added, words removed) between two versions of a chapter's sections.

    Unchanged sentences at the start and the end are skipped, the rest matched sentence by
    sentence, and each run of changed sentences word by word; the bounds above keep the time
    linear in the text, whatever the archive holds.
    """
    old, new = _sentences(before), _sentences(after)
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    old, new = old[start:len(old) - end], new[start:len(new) - end]
    if len(old) + len(new) > DIFF_SENTENCES:
        return _counted([w for s in old for w in _words(s)], [w for s in new for w in _words(s)])
    plus = minus = 0
    budget = DIFF_WORDS
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        words_old = [w for s in old[a1:a2] for w in _words(s)]
        words_new = [w for s in new[b1:b2] for w in _words(s)]
        size = len(words_old) + len(words_new)
        compare = _diffed if size <= min(DIFF_RUN, budget) else _counted
        budget -= size if compare is _diffed else 0
        added, removed = compare(words_old, words_new)
        plus, minus = plus + added, minus + removed
    return plus, minus


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
    plus, minus = word_changes(before["sections"], after["sections"])
    retitled = before["title"] != after["title"]
    if not (added or removed or edited or retitled or plus or minus):
        return None
    return ChapterChange(after["slug"], after["title"], "changed", before["title"] if retitled else "",
                         added, removed, edited, plus, minus)
