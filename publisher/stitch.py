"""One PDF edition joined from its separately rendered parts (front matter, chapters, back matter).

Each part is a whole PDF as WeasyPrint 70 writes it, all of one edition: all tagged (the screen
edition, PDF/UA-1) or all untagged (the printer's file, PDF/X-4, each part finished by press.py).
`stitch` copies their pages in order with qpdf's foreign-object copier (one copier per part, so
everything a part refers to its pages through, destinations, outlines and structure, lands on the
copied pages) and joins what WeasyPrint writes once per document:

- the catalog's document-level entries (language, MarkInfo, viewer preferences, XMP metadata,
  output intents, page mode and layout) and the Info dictionary come from the first part;
- named destinations (the HTML's ids: a `/Names /Dests` name tree, or a PDF 1.1 `/Dests`
  dictionary) become one flat, sorted name tree; the first part that defines a name wins;
- the outlines (bookmarks) follow each other at the top level, each part's hierarchy, titles,
  open or closed state and destinations as they were; the outline's /Count is the number of
  items visible when the file opens (the items' own counts are unchanged);
- a link a part could not resolve (an anchor in another part) is written by the part as
  LINK_PREFIX + the anchor's id: it becomes an internal link to that named destination, as
  WeasyPrint writes an internal link (`/Dest` the name, `/Contents` the name);
- tagged parts get one structure tree: WeasyPrint's root holds one Document element per part;
  the stitched root holds one Document whose kids are the parts' Document kids in order (their
  /P the new Document). The parent tree's keys are renumbered (each part's keys after the
  previous part's), and so are the pages' /StructParents and the annotations' /StructParent that
  look them up; /ParentTreeNextKey is set; IDTree, RoleMap and ClassMap are merged (first wins);
- streams that are byte for byte the same with the same dictionary (the output profile every
  printer's part embeds, the sRGB profile press.py adds, an image used by several parts) are
  written once. Font subsets differ from part to part (each part cuts its own): they are not,
  and since WeasyPrint names a subset after its font alone, a subset whose name another subset
  already has gets a tag of its own (ISO 32000-1 §9.6.4: different subsets, different tags).

The bytes depend on the parts and `identifier` only: the trailer's /ID is `identifier` (as
WeasyPrint's `pdf_identifier` gives it) and a digest of the content (qpdf's deterministic ID); no
date is written but the ones the first part carries.

Sources: PDF Reference, sixth edition (PDF 1.7) §3.6.1 (catalog), §3.8.5 (name trees, keys in
lexical order), §3.8.6 (number trees), §8.2.1 (named destinations), §8.2.2 (outline /Count),
§10.6 (structure tree, parent tree, StructParent(s)); ISO 14289-1 (PDF/UA-1) 7.18.5 (a link
annotation has /Contents and a Link element with an OBJR to it).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import unquote

import pikepdf

from .errors import RenderError

LINK_PREFIX = "https://part.invalid/#"  # a link to an anchor in another part: this URI + the anchor's id

# The catalog's entries that describe the whole document: taken from the first part.
_CATALOG = ("/Lang", "/MarkInfo", "/ViewerPreferences", "/Metadata", "/OutputIntents", "/PageMode",
            "/PageLayout")

Blank = Callable[[pikepdf.Pdf, pikepdf.Page], pikepdf.Page]


def empty_page(pdf: pikepdf.Pdf, like: pikepdf.Page) -> pikepdf.Page:
    """A blank page with the page boxes of `like` (a page of `pdf`) and no content."""
    page = pikepdf.Dictionary(Type=pikepdf.Name.Page, Resources=pikepdf.Dictionary(),
                              Contents=pdf.make_stream(b""))
    for box in ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox"):
        if box in like.obj:
            page[box] = pikepdf.Array([float(v) for v in like.obj[box]])
    return pikepdf.Page(pdf.make_indirect(page))


def stitch(parts: Sequence[bytes], *, identifier: bytes, blanks_before: Sequence[bool] = (), pad_to: int = 1,
           blank: Blank | None = None) -> bytes:
    """One PDF of `parts` (WeasyPrint PDFs of one edition, in reading order; see the module's
    docstring for what is joined and how).

    `blanks_before[i]` true puts a blank page before part i's first page (a printer's verso left
    blank so that the part opens on a recto; missing items are false); then blank pages are added
    at the end until the page count is a multiple of `pad_to`. A blank page is `blank(pdf, like)`,
    a new page of `pdf` made like its neighbour `like` (the page it comes before, or the last page
    for the padding); by default `empty_page`. The PDF version is the highest of the parts'.

    Raises RenderError when a part links to an anchor (LINK_PREFIX + id) that no part defines,
    and ValueError when there are no parts, or tagged parts are mixed with untagged ones.
    """
    if not parts:
        raise ValueError("no parts to stitch")
    if pad_to < 1:
        raise ValueError(f"pad_to must be at least 1, not {pad_to}")
    blank = blank or empty_page
    out = pikepdf.Pdf.new()
    sources = [pikepdf.Pdf.open(io.BytesIO(data)) for data in parts]
    try:
        tagged = {"/StructTreeRoot" in source.Root for source in sources}
        if len(tagged) > 1:
            raise ValueError("some parts are tagged and some are not: they are not of one edition")
        dests: dict[str, tuple[pikepdf.String, pikepdf.Object]] = {}
        outlines: list[pikepdf.Dictionary] = []
        structure = _Structure(out) if tagged == {True} else None
        for number, source in enumerate(sources):
            start = len(out.pages)
            for page in source.pages:
                out.pages.append(page)  # copied, and remembered by this part's copier
            pages = out.pages[start:]
            if number < len(blanks_before) and blanks_before[number] and pages:
                out.pages.insert(start, blank(out, pages[0]))
            # Everything else the part has, its pages mapped to the copies (its page tree is not copied).
            catalog = out.copy_foreign(source.Root)
            if number == 0:
                for key in _CATALOG:
                    if key in catalog:
                        out.Root[key] = catalog[key]
                info = source.trailer.get("/Info")
                if isinstance(info, pikepdf.Dictionary):
                    out.trailer.Info = out.copy_foreign(info if info.is_indirect else source.make_indirect(info))
            for name, dest in _named_destinations(catalog):
                dests.setdefault(str(name), (name, dest))
            if "/Outlines" in catalog and "/First" in catalog.Outlines:
                outlines.append(catalog.Outlines)
            if structure is not None:
                structure.add(catalog.StructTreeRoot, pages)
        while len(out.pages) % pad_to:
            out.pages.append(blank(out, out.pages[-1]))
        _link(out, dests)
        if dests:
            names = pikepdf.Array()
            for key in sorted(dests, key=lambda k: bytes(dests[k][0])):
                names.extend(dests[key])
            out.Root.Names = pikepdf.Dictionary(Dests=out.make_indirect(pikepdf.Dictionary(Names=names)))
        if outlines:
            out.Root.Outlines = _join_outlines(out, outlines)
        if structure is not None:
            structure.finish()
        _share_streams(out)
        _merge_fonts(out)
        _retag_subsets(out)
        out.trailer.ID = pikepdf.Array([pikepdf.String(identifier), pikepdf.String(identifier)])
        version = max((source.pdf_version for source in sources), key=lambda v: tuple(int(n) for n in v.split(".")))
        buffer = io.BytesIO()
        out.save(buffer, deterministic_id=True, min_version=version, fix_metadata_version=False,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)
        return buffer.getvalue()
    finally:
        for source in sources:
            source.close()
        out.close()


def _named_destinations(catalog: pikepdf.Dictionary) -> Iterator[tuple[pikepdf.String, pikepdf.Object]]:
    """A part's named destinations (name, destination), the name tree's then the /Dests
    dictionary's."""
    if "/Names" in catalog and "/Dests" in catalog.Names:
        for name, dest in pikepdf.NameTree(catalog.Names.Dests).items():
            yield pikepdf.String(name), dest
    if "/Dests" in catalog:
        for name, dest in catalog.Dests.items():
            yield pikepdf.String(name[1:]), dest


def _link(pdf: pikepdf.Pdf, dests: dict[str, tuple[pikepdf.String, pikepdf.Object]]) -> None:
    """Turn each link to LINK_PREFIX + id into a link to the named destination id."""
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", ()):
            action = annot.get("/A")
            if not isinstance(action, pikepdf.Dictionary) or action.get("/S") != "/URI":
                continue
            uri = str(action.URI)
            if not uri.startswith(LINK_PREFIX):
                continue
            anchor = unquote(uri[len(LINK_PREFIX):])
            if anchor not in dests:
                raise RenderError(f"a link leads to #{anchor}, which no part of the edition defines")
            del annot["/A"]
            annot.Dest = dests[anchor][0]
            annot.Contents = pikepdf.String(anchor)


def _join_outlines(pdf: pikepdf.Pdf, parts: list[pikepdf.Dictionary]) -> pikepdf.Dictionary:
    """One outline dictionary whose top-level items are the parts' (copied) top-level items."""
    root = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
    items = []
    for part in parts:
        item = part.First
        while True:
            items.append(item)
            if "/Next" not in item or item.objgen == part.Last.objgen:
                break
            item = item.Next
    visible = 0
    for before, item in zip([None, *items[:-1]], items, strict=True):
        item.Parent = root
        if before is None:
            if "/Prev" in item:
                del item["/Prev"]
        else:
            item.Prev, before.Next = before, item
        count = int(item.get("/Count", 0))
        visible += 1 + max(count, 0)
    if "/Next" in items[-1]:
        del items[-1]["/Next"]
    root.First, root.Last, root.Count = items[0], items[-1], visible
    return root


class _Structure:
    """The joined structure tree of tagged parts (see the module's docstring)."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self.root = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
        self.document: pikepdf.Dictionary | None = None
        self.kids = pikepdf.Array()
        self.nums: list[Any] = []  # the joined parent tree (a pikepdf.Array once: growing one item by item is slow)
        self.next_key = 0
        self.ids: dict[str, tuple[pikepdf.String, pikepdf.Object]] = {}
        self.role_map = pikepdf.Dictionary()
        self.class_map = pikepdf.Dictionary()

    def add(self, tree: pikepdf.Dictionary, pages: Sequence[pikepdf.Page]) -> None:
        """Join a part's structure tree (`tree`, copied after the part's pages, which are `pages`)."""
        offset = self.next_key
        top = tree.get("/K", pikepdf.Array())
        top = list(top) if isinstance(top, pikepdf.Array) else [top]
        if len(top) == 1 and isinstance(top[0], pikepdf.Dictionary) and top[0].get("/S") == "/Document":
            if self.document is None:
                self.document = top[0]  # its attributes (/Lang, /T...) kept; its kids replaced
            kids = top[0].get("/K", pikepdf.Array())
            kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
            owner = top[0]
        else:
            kids, owner = top, None
        for kid in kids:
            if isinstance(kid, int):  # a marked-content id of the old Document's page
                if owner is None or "/Pg" not in owner:
                    raise ValueError("a marked-content reference at the structure root has no page")
                kid = pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=owner.Pg, MCID=kid)
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type", pikepdf.Name.StructElem) == "/StructElem":
                kid.P = self._document()
            self.kids.append(kid)
        last = -1
        if "/ParentTree" in tree:
            for key, value in _number_tree(tree.ParentTree):
                self.nums.extend([key + offset, value])
                last = max(last, key)
        self.next_key = offset + max(last + 1, int(tree.get("/ParentTreeNextKey", 0)))
        if offset:
            self._renumber(pages, offset)
        if "/IDTree" in tree:
            for name, element in pikepdf.NameTree(tree.IDTree).items():
                self.ids.setdefault(name, (pikepdf.String(name), element))
        for mine, theirs in ((self.role_map, tree.get("/RoleMap")), (self.class_map, tree.get("/ClassMap"))):
            for key, value in (theirs or {}).items():
                if key not in mine:
                    mine[key] = value

    def _document(self) -> pikepdf.Dictionary:
        if self.document is None:
            self.document = self.pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem,
                                                                      S=pikepdf.Name.Document))
        return self.document

    @staticmethod
    def _renumber(pages: Sequence[pikepdf.Page], offset: int) -> None:
        """Move the part's parent-tree keys up by `offset` where pages, their annotations and their
        form XObjects hold them."""
        done: set[tuple[int, int]] = set()
        for page in pages:
            holders = [page.obj, *page.obj.get("/Annots", ())]
            holders += [x for x in page.obj.get("/Resources", {}).get("/XObject", {}).values()
                        if isinstance(x, pikepdf.Stream)]
            for holder in holders:
                if holder.is_indirect:
                    if holder.objgen in done:
                        continue
                    done.add(holder.objgen)
                for key in ("/StructParents", "/StructParent"):
                    if key in holder:
                        holder[key] = int(holder[key]) + offset

    def finish(self) -> None:
        """Write the joined tree as the catalog's StructTreeRoot."""
        document = self._document()
        document.K = self.kids
        document.P = self.root
        self.root.K = pikepdf.Array([document])
        self.root.ParentTree = self.pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(self.nums)))
        self.root.ParentTreeNextKey = self.next_key
        if self.ids:
            names = pikepdf.Array()
            for key in sorted(self.ids, key=lambda k: bytes(self.ids[k][0])):
                names.extend(self.ids[key])
            self.root.IDTree = self.pdf.make_indirect(pikepdf.Dictionary(Names=names))
        if self.role_map:
            self.root.RoleMap = self.role_map
        if self.class_map:
            self.root.ClassMap = self.class_map
        self.pdf.Root.StructTreeRoot = self.root


def _number_tree(node: pikepdf.Dictionary) -> Iterator[tuple[int, pikepdf.Object]]:
    """The (key, value) pairs of a number tree, in order."""
    nums = node.get("/Nums", ())
    for i in range(0, len(nums), 2):
        yield int(nums[i]), nums[i + 1]
    for kid in node.get("/Kids", ()):
        yield from _number_tree(kid)


def _share_streams(pdf: pikepdf.Pdf) -> None:
    """Point every reference to a stream at the first stream with the same data and dictionary;
    repeated, since a stream's dictionary may refer to streams just shared (an image's mask)."""
    dropped: set[tuple[int, int]] = set()
    while True:
        canonical: dict[bytes, pikepdf.Stream] = {}
        same: dict[tuple[int, int], pikepdf.Stream] = {}
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Stream) or obj.objgen in dropped:
                continue
            digest = hashlib.sha256(obj.read_raw_bytes())
            digest.update(obj.stream_dict.unparse(resolved=False))
            key = digest.digest()
            if key in canonical:
                same[obj.objgen] = canonical[key]
            else:
                canonical[key] = obj
        if not same:
            return
        dropped.update(same)
        _replace(pdf, same)


def _merge_fonts(pdf: pikepdf.Pdf) -> None:
    """One font dictionary for each embedded font program that several parts share (pdf.py has
    every part keep the same subset of a font): its widths (/W), text map (/ToUnicode), bounding
    box and CIDSet are the union of the parts' — each part names the glyphs it draws — and every
    page uses it. Fonts whose maps are not the plain lists WeasyPrint writes are left alone."""
    groups: dict[tuple[Any, ...], list[pikepdf.Dictionary]] = {}
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Font" \
                or obj.get("/Subtype") != "/Type0" or len(obj.get("/DescendantFonts", ())) != 1:
            continue
        cid = obj.DescendantFonts[0]
        descriptor = cid.get("/FontDescriptor")
        program = next((descriptor[k] for k in ("/FontFile", "/FontFile2", "/FontFile3")
                        if descriptor is not None and k in descriptor), None)
        if program is None or not program.is_indirect or not isinstance(obj.get("/ToUnicode"), pikepdf.Stream):
            continue
        key = (program.objgen, str(obj.get("/Encoding")), str(cid.get("/Subtype")), str(cid.get("/CIDToGIDMap")))
        groups.setdefault(key, []).append(obj)
    same: dict[tuple[int, int], pikepdf.Object] = {}
    for fonts in groups.values():
        if len(fonts) < 2:
            continue
        widths: dict[int, Any] = {}
        texts: dict[str, str] = {}
        boxes, sets = [], []
        try:
            for font in fonts:
                cid = font.DescendantFonts[0]
                for code, width in _widths(cid.get("/W", pikepdf.Array())).items():
                    widths.setdefault(code, width)
                for code, text in _bfchars(font.ToUnicode.read_bytes()).items():
                    texts.setdefault(code, text)
                if "/FontBBox" in cid.FontDescriptor:
                    boxes.append([float(v) for v in cid.FontDescriptor.FontBBox])
                if "/CIDSet" in cid.FontDescriptor:
                    sets.append(cid.FontDescriptor.CIDSet.read_bytes())
        except ValueError:  # a map written another way: keep the fonts apart
            continue
        first = fonts[0]
        cid = first.DescendantFonts[0]
        cid.W = _width_array(widths)
        first.ToUnicode = pdf.make_stream(_cmap(texts))
        if boxes:
            cid.FontDescriptor.FontBBox = pikepdf.Array(
                [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
                 max(b[3] for b in boxes)])
        if sets:
            merged = bytearray(max(len(b) for b in sets))
            for bits in sets:
                for i, byte in enumerate(bits):
                    merged[i] |= byte
            cid.FontDescriptor.CIDSet = pdf.make_stream(bytes(merged))
        for font in fonts[1:]:
            same[font.objgen] = first
    if same:
        _replace(pdf, same)  # type: ignore[arg-type]


def _widths(array: pikepdf.Array) -> dict[int, Any]:
    """A CIDFont's /W array (ISO 32000-1 §9.7.4.3: `c [w1 w2 …]` and `c_first c_last w`) as code → width."""
    found: dict[int, Any] = {}
    items = list(array)
    i = 0
    while i < len(items):
        start = int(items[i])
        if i + 1 < len(items) and isinstance(items[i + 1], pikepdf.Array):
            for offset, width in enumerate(items[i + 1]):
                found[start + offset] = width
            i += 2
        elif i + 2 < len(items):
            for code in range(start, int(items[i + 1]) + 1):
                found[code] = items[i + 2]
            i += 3
        else:
            raise ValueError("a /W array cut short")
    return found


def _width_array(widths: dict[int, Any]) -> pikepdf.Array:
    """Code → width as a /W array, consecutive codes in one run."""
    array = pikepdf.Array()
    run: list[Any] = []
    start = previous = None
    for code in sorted(widths):
        if previous is not None and code == previous + 1:
            run.append(widths[code])
        else:
            if run:
                array.extend([start, pikepdf.Array(run)])
            start, run = code, [widths[code]]
        previous = code
    if run:
        array.extend([start, pikepdf.Array(run)])
    return array


_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_PAIR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>")


def _bfchars(cmap: bytes) -> dict[str, str]:
    """A ToUnicode CMap's bfchar entries as source code → destination (hex strings); ValueError
    when it has ranges (bfrange), which are not merged."""
    if b"beginbfrange" in cmap:
        raise ValueError("a ToUnicode map with ranges")
    found: dict[str, str] = {}
    for block in _BFCHAR.findall(cmap):
        for source, target in _PAIR.findall(block):
            found.setdefault(source.decode().lower().rjust(4, "0"), target.decode().lower())
    return found


def _cmap(texts: dict[str, str]) -> bytes:
    """A ToUnicode CMap (Adobe-Identity-UCS, two-byte codes) of source code → destination (hex)."""
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap", b"/CIDSystemInfo",
             b"<< /Registry (Adobe)", b"/Ordering (UCS)", b"/Supplement 0", b">> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def", b"1 begincodespacerange",
             b"<0000> <ffff>", b"endcodespacerange"]
    codes = sorted(texts)
    for start in range(0, len(codes), 100):
        batch = codes[start:start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines += [f"<{code}> <{texts[code]}>".encode() for code in batch]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _retag_subsets(pdf: pikepdf.Pdf) -> None:
    """Give each font subset a tag of its own: WeasyPrint derives a subset's tag ("ABCDEF+") from
    the font's description only, so each part's different subset of a font has the same name,
    and ISO 32000-1 §9.6.4 asks different subsets in one file to have different tags. The
    first subset of a name keeps it; another gets a tag drawn from its font file's digest."""
    descriptors: dict[str, dict[tuple[int, int], list[pikepdf.Dictionary]]] = {}
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/FontDescriptor":
            continue
        name = str(obj.get("/FontName", ""))
        file = next((obj[k] for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in obj), None)
        if re.fullmatch(r"/[A-Z]{6}\+.+", name) and file is not None and file.is_indirect:
            descriptors.setdefault(name, {}).setdefault(file.objgen, []).append(obj)
    renamed: dict[tuple[int, int], pikepdf.Name] = {}
    for name, files in descriptors.items():
        for file, owners in list(files.items())[1:]:
            digest = hashlib.sha256(pdf.get_object(file).read_raw_bytes()).digest()
            tag = "".join(chr(65 + byte % 26) for byte in digest[:6])
            for owner in owners:
                owner.FontName = renamed[owner.objgen] = pikepdf.Name(f"/{tag}{name[7:]}")
    if not renamed:
        return
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Font":
            continue
        font = obj.DescendantFonts[0] if "/DescendantFonts" in obj else obj
        descriptor = font.get("/FontDescriptor")
        if descriptor is not None and descriptor.objgen in renamed:
            obj.BaseFont = renamed[descriptor.objgen]


def _replace(pdf: pikepdf.Pdf, same: dict[tuple[int, int], pikepdf.Stream]) -> None:
    """Replace, in every object and the trailer, each reference to a key of `same` by its value."""

    def visit(container: pikepdf.Object) -> None:
        if isinstance(container, pikepdf.Stream):
            container = container.stream_dict
        if isinstance(container, pikepdf.Dictionary):
            items = list(container.items())
        elif isinstance(container, pikepdf.Array):
            items = list(enumerate(container))
        else:
            return
        for key, value in items:
            if not isinstance(value, pikepdf.Object):  # a number or boolean
                continue
            if value.is_indirect:
                if value.objgen in same:
                    container[key] = same[value.objgen]
            elif isinstance(value, (pikepdf.Dictionary, pikepdf.Array)):
                visit(value)

    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") in _NO_RESOURCES:
            continue  # structure elements and the like refer to pages and elements, never to streams or fonts
        visit(obj)
    visit(pdf.trailer)


# Objects that hold no reference to a stream or font (ISO 32000-1 §14.7.2, §14.7.4.2-3): the
# bulk of a tagged edition's objects, skipped when references are replaced.
_NO_RESOURCES = frozenset({"/StructElem", "/MCR", "/OBJR"})
