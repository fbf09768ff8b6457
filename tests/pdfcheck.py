"""Helpers that read PDFs the way a reviewer's tools do (poppler, qpdf, pikepdf)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def page_texts(path: Path) -> list[str]:
    """The text of every page, in reading order."""
    return run("pdftotext", "-layout", str(path), "-").split("\f")[:-1]


def fonts(path: Path) -> list[dict[str, str]]:
    """pdffonts rows as dicts (name, type, emb, sub, uni)."""
    lines = run("pdffonts", str(path)).splitlines()[2:]
    rows = []
    for line in lines:
        parts = line.split()
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3]})
    return rows


def outline(path: Path) -> list[tuple[int, str]]:
    """The bookmarks as (depth, title), depth-first."""
    found: list[tuple[int, str]] = []

    def walk(items: list, depth: int) -> None:
        for item in items:
            found.append((depth, str(item.title)))
            walk(item.children, depth + 1)

    with pikepdf.open(path) as pdf, pdf.open_outline() as tree:
        walk(tree.root, 0)
    return found


def structure_tags(path: Path) -> list[str]:
    """The tag types of the structure tree, depth-first."""
    tags: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, pikepdf.Array):
            for child in node:
                walk(child)
        elif isinstance(node, pikepdf.Dictionary):
            if "/S" in node:
                tags.append(str(node.S)[1:])
                if str(node.S) == "/Figure":
                    tags.append("Figure-alt" if "/Alt" in node else "Figure-no-alt")
            if "/K" in node:
                walk(node.K)

    with pikepdf.open(path) as pdf:
        walk(pdf.Root.StructTreeRoot.K)
    return tags


def page_of(texts: list[str], pattern: str, start: int = 0) -> int:
    """The 1-based number of the first page from start on whose text matches pattern."""
    for number, text in enumerate(texts[start:], start + 1):
        if re.search(pattern, text):
            return number
    raise AssertionError(f"{pattern!r} not found")
