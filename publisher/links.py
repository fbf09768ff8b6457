"""The web edition's internal links, checked on every build before anything is moved into place:
every href, src and srcset of the pages, and every url() of the stylesheets, must name a file
that will be beside them — written by this build, or kept from an earlier one — and a #fragment
an id in that page."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from lxml import html as lhtml

from .errors import OutputError

EXTERNAL = ("http", "https", "mailto")
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
ATTRIBUTES = ("href", "src")
MAX_PROBLEMS = 20


def check_links(stage: Path, written: list[Path], out: Path, replaced: tuple[str, ...] = ()) -> None:
    """Check the links of the pages and stylesheets among `written` (paths relative to `stage`).

    A link resolves to a file written into the stage by this build (by any of its writers), or to
    a file already in `out`
    that stays there — not under one of the `replaced` folders, whose files this build's commit
    replaces or removes. A fragment must be an id (or a name) in the page it points to.
    Raises OutputError naming the page, the link and the problem (the first, and how many more).
    """
    files = {PurePosixPath(p.as_posix()) for p in written}
    pages = sorted(p for p in files if p.suffix == ".html")
    ids = {page: _ids(stage / page) for page in pages}
    problems = []
    for source in sorted(files):
        if source.suffix == ".html":
            values = _page_links(stage / source)
        elif source.suffix == ".css":
            values = [m.group(2) for m in CSS_URL.finditer((stage / source).read_text(encoding="utf-8"))]
        else:
            continue
        for value in values:
            problem = _problem(source, value, files, ids, stage, out, replaced)
            if problem:
                problems.append(f"{source}: link {value!r}: {problem}")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise OutputError(f"web edition: {problems[0]}{more}")


def _ids(page: Path) -> set[str]:
    tree = lhtml.fromstring(page.read_bytes())
    return set(tree.xpath("//@id")) | set(tree.xpath("//a/@name"))


def _page_links(page: Path) -> list[str]:
    """The references of a page: href and src of every element, and each URL of a srcset."""
    tree = lhtml.fromstring(page.read_bytes())
    found = [v for attribute in ATTRIBUTES for v in tree.xpath(f"//@{attribute}")]
    for srcset in tree.xpath("//@srcset"):
        found += [part.strip().split()[0] for part in srcset.split(",") if part.strip()]
    return [str(v) for v in found]


def _problem(source: PurePosixPath, value: str, files: set[PurePosixPath], ids: dict[PurePosixPath, set[str]],
             stage: Path, out: Path, replaced: tuple[str, ...]) -> str:
    """What is wrong with one link ("" if it resolves)."""
    url = urlsplit(value.strip())
    if url.scheme or url.netloc:
        return "" if url.scheme in EXTERNAL else "not a link to a file of the web edition or an http(s) address"
    if not url.path:
        target = source
    else:
        joined = posixpath.normpath(posixpath.join(str(source.parent), unquote(url.path)))
        if joined.startswith("../") or joined == ".." or joined.startswith("/"):
            return "leads out of the output folder"
        target = PurePosixPath(joined)
    if target not in files:
        staged = (stage / target).is_file()  # written by another target of this build
        kept = (out / target).is_file() and not any(target.is_relative_to(folder) for folder in replaced)
        return "" if staged or kept else f"no file {target}"
    if url.fragment and target.suffix == ".html" and url.fragment not in ids[target]:
        return f"no id {url.fragment!r} in {target}"
    return ""
