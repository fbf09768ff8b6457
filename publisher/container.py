"""The EPUB container's structural guarantees, checked in-process on every build (milliseconds),
so that no build ends with a book a reading system or EPUBCheck would reject for its structure.

`check_epub(data, name)` verifies: the zip starts with the stored `mimetype`; the container
points at a package document; every manifest item exists in the zip, with unique ids, and every
file of the zip is declared; the spine, the nav document and the NCX are declared; every XHTML,
SVG and NCX file is well-formed XML with unique ids; and every internal reference — links with
or without a #fragment, images, stylesheets, the NCX's and the nav's entries, `url()` in
stylesheets — resolves to a declared file, and its fragment to an id in that file. Full
validation (the EPUB 3 schemas, accessibility) is EPUBCheck's, in `python build.py check`.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from lxml import etree

from .errors import OutputError

OPF = "{http://www.idpf.org/2007/opf}"
CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
MARKUP = {"application/xhtml+xml", "image/svg+xml", "application/x-dtbncx+xml"}
EXTERNAL = ("http", "https", "mailto", "tel", "urn", "data")
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
# Attributes that refer to another file or a place in one (XHTML, SVG, the NCX's content/@src).
REFERENCES = ("href", "src", XLINK_HREF, "data", "poster")
MAX_PROBLEMS = 20


@dataclass
class Book:
    """An EPUB read for checking: its zip entries, manifest (path → media type) and parsed files."""

    entries: dict[str, bytes]
    manifest: dict[str, str] = field(default_factory=dict)
    trees: dict[str, etree._Element] = field(default_factory=dict)
    ids: dict[str, set[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")


def check_epub(data: bytes, name: str) -> None:
    """Check an EPUB's structure (see the module's docstring).

    Raises OutputError naming the book, the file inside it and the problem — the first problem,
    and how many more there are.
    """
    problems = epub_problems(data)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise OutputError(f"{name}: {problems[0]}{more}")


def epub_problems(data: bytes) -> list[str]:
    """Every structural problem of the EPUB (at most MAX_PROBLEMS), as "file: problem"."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        entries = {info.filename: archive.read(info) for info in infos if not info.is_dir()}
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return [f"(zip): not a readable zip file ({exc})"]
    book = Book(entries)
    if not infos or infos[0].filename != "mimetype" or infos[0].compress_type != zipfile.ZIP_STORED \
            or entries.get("mimetype") != b"application/epub+zip":
        book.problem("mimetype", "must be the first file, stored, and say application/epub+zip")
    opf = _package_path(book)
    if opf:
        spine = _read_package(book, opf)
        for path, media_type in book.manifest.items():
            if media_type in MARKUP:
                _parse(book, path)
        for path, media_type in book.manifest.items():
            if media_type in MARKUP and path in book.trees:
                _check_references(book, path)
            elif media_type == "text/css":
                _check_stylesheet(book, path)
        if not spine:
            book.problem(opf, "the spine is empty")
    return book.problems[:MAX_PROBLEMS]


def _xml(book: Book, path: str) -> etree._Element | None:
    """The file at path parsed as XML (no entities, no network), or None with a problem noted."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(book.entries[path], parser)
    except KeyError:
        book.problem(path, "missing from the zip")
    except etree.XMLSyntaxError as exc:
        book.problem(path, f"not well-formed XML: {exc.msg} (line {exc.lineno})")
    return None


def _package_path(book: Book) -> str:
    """The package document named by META-INF/container.xml ("" with a problem if none)."""
    container = _xml(book, "META-INF/container.xml")
    if container is None:
        return ""
    rootfile = container.find(f".//{CONTAINER}rootfile")
    path = rootfile.get("full-path", "") if rootfile is not None else ""
    if not path or path not in book.entries:
        book.problem("META-INF/container.xml", f"the package document {path!r} is not in the zip")
        return ""
    return path


def _read_package(book: Book, opf: str) -> list[str]:
    """Read the manifest into book.manifest and check it, the spine, the nav and the NCX; return
    the spine's files."""
    package = _xml(book, opf)
    if package is None:
        return []
    base = posixpath.dirname(opf)
    by_id: dict[str, str] = {}
    navs = []
    for item in package.iter(f"{OPF}item"):
        item_id, href = item.get("id", ""), item.get("href", "")
        path = posixpath.normpath(posixpath.join(base, unquote(href)))
        if item_id in by_id:
            book.problem(opf, f"manifest id {item_id!r} is used twice")
        by_id[item_id] = path
        if path not in book.entries:
            book.problem(opf, f"manifest item {href!r} is not in the zip")
        book.manifest[path] = item.get("media-type", "")
        if "nav" in item.get("properties", "").split():
            navs.append(path)
    if len(navs) != 1:
        book.problem(opf, f"the manifest declares {len(navs)} nav documents, not one")
    for path in sorted(set(book.entries) - set(book.manifest) - {"mimetype", opf}):
        if not path.startswith("META-INF/"):
            book.problem(path, "is in the zip but not declared in the manifest")
    spine_element = package.find(f"{OPF}spine")
    spine = []
    for itemref in package.iter(f"{OPF}itemref"):
        ref = itemref.get("idref", "")
        if ref not in by_id:
            book.problem(opf, f"spine entry {ref!r} is not a manifest id")
        else:
            spine.append(by_id[ref])
    toc = spine_element.get("toc") if spine_element is not None else None
    if toc and toc not in by_id:
        book.problem(opf, f"the spine's NCX {toc!r} is not a manifest id")
    return spine


def _parse(book: Book, path: str) -> None:
    """Parse a markup file of the manifest and collect its ids, noting duplicates."""
    tree = _xml(book, path)
    if tree is None:
        return
    book.trees[path] = tree
    ids: set[str] = set()
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in ("id", XML_ID):
            value = element.get(attribute)
            if value is None:
                continue
            if value in ids:
                book.problem(path, f"id {value!r} is used twice")
            ids.add(value)
    book.ids[path] = ids


def _check_references(book: Book, path: str) -> None:
    """Every reference in a markup file resolves to a declared file, and its fragment to an id."""
    tree = book.trees[path]
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        values = [element.get(a) for a in REFERENCES if element.get(a) is not None]
        if element.get("srcset"):
            values += [part.strip().split()[0] for part in element.get("srcset", "").split(",") if part.strip()]
        for value in values:
            _resolve(book, path, value)


def _resolve(book: Book, path: str, value: str) -> None:
    """Note a problem if the reference `value` in the file at path does not resolve."""
    url = urlsplit(value.strip())
    if url.scheme:
        if url.scheme not in EXTERNAL:
            book.problem(path, f"reference {value!r} has an unknown scheme")
        return
    target = posixpath.normpath(posixpath.join(posixpath.dirname(path), unquote(url.path))) if url.path else path
    if target not in book.entries:
        book.problem(path, f"reference {value!r}: no file {target} in the book")
    elif target not in book.manifest:
        book.problem(path, f"reference {value!r}: {target} is not declared in the manifest")
    elif url.fragment and book.manifest[target] in MARKUP and url.fragment not in book.ids.get(target, set()):
        book.problem(path, f"reference {value!r}: no id {url.fragment!r} in {target}")


def _check_stylesheet(book: Book, path: str) -> None:
    """Every url() of a stylesheet names a declared file."""
    try:
        text = book.entries[path].decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        book.problem(path, "not a UTF-8 stylesheet in the zip")
        return
    for match in CSS_URL.finditer(text):
        _resolve(book, path, match.group(2))
