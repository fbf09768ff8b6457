"""Editions joined from separately rendered parts (stitch.py), compared with the same content
rendered by WeasyPrint as one document, and read back with pikepdf, poppler and qpdf."""

from __future__ import annotations

import io
import subprocess
import time
from pathlib import Path

import pikepdf
import pytest

from publisher.errors import RenderError
from publisher.formats import PROFILES, STYLES
from publisher.press import PAPERS, Finish, blank_page, profile_css
from publisher.stitch import LINK_PREFIX, stitch
from tests.pdfcheck import page_texts, structure_tags

MM = 72 / 25.4
# Three parts: headings (bookmarks; the second part's closed), a note set aside, a table, links
# inside a part, to another part ({x}: written as LINK_PREFIX + id by a part) and out of the edition.
PARTS = [
    """<section><h1 id="front">Front matter</h1><p>Read <a href="{x}later">the later chapter</a> first, or
    <a href="https://example.org/">the site</a>.</p><h2 id="front-a">About</h2><p>Short.</p></section>""",
    """<section class="closed"><h1 id="one">Chapter one</h1><p>Body text with a note<aside>A note set
    aside.</aside> and <a href="#one-b">a link in the part</a>.</p><h2 id="one-a">First section</h2>
    <table><thead><tr><th>State</th><th>Flow</th></tr></thead><tbody><tr><td>A</td><td>1</td></tr>
    <tr><td>B</td><td>2</td></tr></tbody></table><div style="break-before: page"></div>
    <h2 id="one-b">Second section</h2><h3 id="one-b-1">Detail</h3><p>More text; back to
    <a href="{x}front">the front</a>.</p></section>""",
    """<section><h1 id="later">Back matter</h1><p>The <span id="later-word">end</span>.</p>
    <h2 id="later-a">Notes</h2><ul><li>One</li><li>Two</li></ul></section>""",
]
STYLE = """@page {{ size: A6; margin: 15mm; @bottom-center {{ content: counter(page) }} }}
@page :blank {{ @bottom-center {{ content: none }} }}
.closed h1 {{ bookmark-state: closed }}
{extra}"""


def _html(bodies: list[str], extra: str, cross: str, start: int | None = None) -> str:
    first = f"@page :first {{ counter-reset: page {start} }}" if start is not None else ""
    style = STYLE.format(extra=extra) + first
    return (f'<!DOCTYPE html><html lang="en"><head><title>Stitched</title><style>{style}</style></head><body>'
            + "".join(b.format(x=cross) for b in bodies) + "</body></html>")


def _screen(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=b"one", pdf_tags=True)


def _press(html: str, signature: int = 1) -> bytes:
    from weasyprint import CSS, HTML

    profiles: dict = {}
    css = [CSS(string=profile_css("uncoated"), base_url=str(STYLES) + "/", color_profiles=profiles)]
    document = HTML(string=html).render(stylesheets=css, color_profiles=profiles, pdf_variant="pdf/x-4")
    return document.write_pdf(pdf_variant="pdf/x-4", pdf_identifier=b"one",
                              finisher=Finish("uncoated", "one.pdf", "urn:test", signature=signature))


def _pages(data: bytes) -> int:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


@pytest.fixture(scope="module")
def screen(tmp_path_factory) -> dict[str, Path]:
    """The screen edition from parts (page numbers carried on), and as one document."""
    folder = tmp_path_factory.mktemp("stitch-screen")
    parts, start = [], 1
    for body in PARTS:
        parts.append(_screen(_html([body], "", LINK_PREFIX, start)))
        start += _pages(parts[-1])
    (folder / "parts.pdf").write_bytes(stitch(parts, identifier=b"screen.pdf"))
    (folder / "one.pdf").write_bytes(_screen(_html(PARTS, "section { break-before: page }", "#")))
    for number, part in enumerate(parts):
        (folder / f"part{number}.pdf").write_bytes(part)
    return {"parts": folder / "parts.pdf", "one": folder / "one.pdf", "folder": folder}


@pytest.fixture(scope="module")
def press(tmp_path_factory) -> dict[str, Path]:
    """The printer's file from parts (each part opening on a recto, a blank verso before it when
    needed, padded to a multiple of four), and as one document (`break-before: right`)."""
    folder = tmp_path_factory.mktemp("stitch-press")
    parts, blanks, start = [], [], 1
    for body in PARTS:
        blanks.append(start % 2 == 0)
        start += blanks[-1]
        parts.append(_press(_html([body], "", LINK_PREFIX, start)))
        start += _pages(parts[-1])
    (folder / "parts.pdf").write_bytes(stitch(parts, identifier=b"print.pdf", blanks_before=blanks, pad_to=4,
                                              blank=blank_page))
    (folder / "one.pdf").write_bytes(_press(_html(PARTS, "section { break-before: right }", "#"), signature=4))
    return {"parts": folder / "parts.pdf", "one": folder / "one.pdf", "blanks": blanks}


def _qpdf_check(path: Path) -> None:
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


def _outline(path: Path) -> list[tuple[int, str, int, bool]]:
    """The bookmarks as (depth, title, page number, open), depth-first, read from the
    dictionaries; the outline's /Count is checked against the items on the way."""
    found: list[tuple[int, str, int, bool]] = []
    with pikepdf.open(path) as pdf:
        pages = {page.objgen: number for number, page in enumerate(pdf.pages, 1)}

        def walk(parent: pikepdf.Dictionary, depth: int, shown: bool) -> int:
            item, visible = parent.get("/First"), 0
            while item is not None:
                count = int(item.get("/Count", 0))
                found.append((depth, str(item.Title), pages[item.Dest[0].objgen], count >= 0))
                assert item.Parent.objgen == parent.objgen
                inside = walk(item, depth + 1, count > 0)
                assert abs(count) == inside or count == 0 and "/First" not in item
                visible += 1 + (inside if count > 0 else 0)
                item = item.get("/Next")
            return visible

        total = walk(pdf.Root.Outlines, 0, True)
        assert int(pdf.Root.Outlines.Count) == total
    return found


def _anchors(path: Path) -> dict[str, int]:
    """The named destinations (flat, sorted, as test_press reads them): name → page number."""
    with pikepdf.open(path) as pdf:
        pages = {page.objgen: number for number, page in enumerate(pdf.pages, 1)}
        names = pdf.Root.Names.Dests.Names
        keys = [bytes(names[i]) for i in range(0, len(names), 2)]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
        return {str(names[i]): pages[names[i + 1][0].objgen] for i in range(0, len(names), 2)}


# --- the screen edition (tagged) --------------------------------------------------------------

def test_pages_and_text_are_those_of_one_document(screen):
    stitched, one = page_texts(screen["parts"]), page_texts(screen["one"])
    assert len(stitched) == len(one) >= 4
    assert stitched == one  # the same text on the same pages, page numbers included
    _qpdf_check(screen["parts"])


def test_bookmarks_are_those_of_one_document(screen):
    marks = _outline(screen["parts"])
    assert marks == _outline(screen["one"])
    assert [m[:2] for m in marks] == [(0, "Front matter"), (1, "About"), (0, "Chapter one"), (1, "First section"),
                                      (1, "Second section"), (2, "Detail"), (0, "Back matter"), (1, "Notes")]
    assert not marks[2][3]  # the closed chapter stays closed


def test_named_destinations_lead_to_the_pages_of_one_document(screen):
    stitched = _anchors(screen["parts"])
    assert stitched == _anchors(screen["one"])
    assert {"front", "one", "one-b-1", "later", "later-word"} <= set(stitched)


def _links(path: Path) -> list[tuple[int, pikepdf.Dictionary]]:
    with pikepdf.open(path) as pdf:
        return [(number, annot) for number, page in enumerate(pdf.pages, 1)
                for annot in page.obj.get("/Annots", ()) if annot.Subtype == "/Link"]


def test_links_to_other_parts_lead_inside_the_edition(screen):
    anchors = _anchors(screen["parts"])
    with pikepdf.open(screen["parts"]) as pdf:
        links = [annot for page in pdf.pages for annot in page.obj.get("/Annots", ())]
        internal = {str(a.Dest): str(a.Contents) for a in links if "/Dest" in a}
        external = [str(a.A.URI) for a in links if "/A" in a]
    assert internal == {"later": "later", "one-b": "one-b", "front": "front"}
    assert all(name in anchors for name in internal)
    assert external == ["https://example.org/"]  # other links untouched
    assert anchors["later"] == len(page_texts(screen["parts"]))  # the back matter's page


def _content_mcids(pdf: pikepdf.Pdf, page: pikepdf.Page) -> list[int]:
    return [int(operands[1].MCID) for operands, operator in pikepdf.parse_content_stream(page)
            if str(operator) == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]]


def _elements(node: pikepdf.Object) -> list[pikepdf.Dictionary]:
    found = []
    kids = node.get("/K", ())
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            assert kid.P.objgen == node.objgen, "a kid's /P is not its parent"
            found += [kid, *_elements(kid)]
    return found


def _kids(element: pikepdf.Dictionary) -> list[pikepdf.Object]:
    kids = element.get("/K", ())
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def test_one_structure_tree_with_the_elements_of_one_document(screen):
    stitched, one = structure_tags(screen["parts"]), structure_tags(screen["one"])
    assert {tag: stitched.count(tag) for tag in set(stitched)} == {tag: one.count(tag) for tag in set(one)}
    assert stitched.count("Document") == 1 and stitched.count("H1") == 3 and stitched.count("Table") == 1
    with pikepdf.open(screen["parts"]) as pdf:
        root = pdf.Root.StructTreeRoot
        assert len(root.K) == 1 and root.K[0].S == "/Document" and root.K[0].P.objgen == root.objgen
        pages = {page.objgen for page in pdf.pages}
        assert len(pages) == len(pdf.pages)
        assert sum(1 for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/Page") \
            == len(pdf.pages)  # no page copied twice (by the structure's /Pg)
        elements = _elements(root.K[0])
        assert all(e.Pg.objgen in pages for e in elements if "/Pg" in e)
        nums = root.ParentTree.Nums
        tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        assert int(root.ParentTreeNextKey) == max(tree) + 1


def test_every_marked_content_resolves_to_its_element_on_its_page(screen):
    """Each MCID a page's content marks is found through the page's /StructParents in the parent
    tree, at an element on that page that holds that MCID (PDF 1.7 §10.6.3)."""
    with pikepdf.open(screen["parts"]) as pdf:
        nums = pdf.Root.StructTreeRoot.ParentTree.Nums
        tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        keys = [int(page.obj.StructParents) for page in pdf.pages]
        assert len(set(keys)) == len(keys)
        checked = 0
        for page in pdf.pages:
            mcids = _content_mcids(pdf, page)
            assert mcids, "a page of text with nothing marked"
            row = tree[int(page.obj.StructParents)]
            for mcid in mcids:
                element = row[mcid]
                assert element.Pg.objgen == page.objgen, mcid
                assert mcid in [k if isinstance(k, int) else int(k.MCID) for k in _kids(element)
                                if isinstance(k, int) or "/MCID" in k]
                checked += 1
        assert checked > 20


def test_every_link_annotation_has_its_link_element(screen):
    with pikepdf.open(screen["parts"]) as pdf:
        nums = pdf.Root.StructTreeRoot.ParentTree.Nums
        tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        annots = [(page, a) for page in pdf.pages for a in page.obj.get("/Annots", ())]
        assert len(annots) == 4
        for page, annot in annots:
            element = tree[int(annot.StructParent)]
            assert element.S == "/Link"
            objrs = [k for k in _kids(element) if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"]
            assert [k.Obj.objgen for k in objrs] == [annot.objgen]
            assert element.Pg.objgen == page.objgen


def test_the_catalog_and_info_come_from_the_first_part(screen):
    with pikepdf.open(screen["parts"]) as pdf, pikepdf.open(screen["folder"] / "part0.pdf") as first:
        assert pdf.pdf_version == first.pdf_version == "1.7"
        assert str(pdf.Root.Lang) == "en" and pdf.Root.MarkInfo.Marked is True
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
        assert pdf.Root.Metadata.read_bytes() == first.Root.Metadata.read_bytes()
        assert "pdfuaid:part" in str(pdf.open_metadata())
        assert dict(pdf.trailer.Info.items()) == dict(first.trailer.Info.items())
        assert bytes(pdf.trailer.ID[0]) == b"screen.pdf"
        # The fonts each part embeds again (the same subsets here: the same text) are written once.
        fonts = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and "/Length1" in o]
        assert len({o.read_raw_bytes() for o in fonts}) == len(fonts)


def test_the_same_parts_give_the_same_bytes(screen):
    parts = [(screen["folder"] / f"part{n}.pdf").read_bytes() for n in range(3)]
    first = stitch(parts, identifier=b"screen.pdf")
    assert first == stitch(parts, identifier=b"screen.pdf") == screen["parts"].read_bytes()
    assert stitch(parts, identifier=b"other.pdf") != first


def test_a_link_to_an_anchor_no_part_has_is_an_error(screen):
    lonely = _screen(_html([PARTS[0]], "", LINK_PREFIX))  # links to "later", which it does not hold
    with pytest.raises(RenderError, match="#later"):
        stitch([lonely], identifier=b"x")
    escaped = _screen(_html(['<p><a href="{x}caf%C3%A9">x</a></p>'], "", LINK_PREFIX))
    with pytest.raises(RenderError, match="#café"):
        stitch([escaped], identifier=b"x")


def test_joining_is_fast(screen):
    parts = [(screen["folder"] / f"part{n}.pdf").read_bytes() for n in range(3)] * 6  # 18 parts
    started = time.process_time()
    data = stitch(parts, identifier=b"x")  # the repeated anchors: the first of each wins
    assert time.process_time() - started < 1.0
    assert _pages(data) == 6 * len(page_texts(screen["parts"]))


# --- the printer's file -----------------------------------------------------------------------

def test_printers_file_pages_are_those_of_one_document(press):
    stitched, one = page_texts(press["parts"]), page_texts(press["one"])
    assert any(press["blanks"]), "no part needed a blank verso: the test proves nothing"
    assert len(stitched) % 4 == 0 and len(stitched) == len(one)
    assert stitched == one
    assert _anchors(press["parts"]) == _anchors(press["one"])
    assert _outline(press["parts"]) == _outline(press["one"])
    _qpdf_check(press["parts"])


def test_printers_file_has_one_output_intent_and_one_profile(press):
    profile = (PROFILES / PAPERS["uncoated"].profile).read_bytes()
    with pikepdf.open(press["parts"]) as pdf:
        assert pdf.pdf_version == "1.6"
        assert len(pdf.Root.OutputIntents) == 1
        assert pdf.Root.OutputIntents[0].DestOutputProfile.read_bytes() == profile
        profiles = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/N") == 4]
        assert len(profiles) == 1  # each part embeds it: written once
        assert "pdfxid:GTS_PDFXVersion" in str(pdf.open_metadata())
        assert str(pdf.trailer.Info.Trapped) == "/False"
        assert "/StructTreeRoot" not in pdf.Root


def test_blank_pages_carry_the_marks_and_boxes_of_their_neighbours(press):
    from tests.test_press import _marks

    texts = page_texts(press["parts"])
    blanks = [n for n, text in enumerate(texts) if not text.strip()]
    assert len(blanks) >= 2  # a verso before a part and the padding
    with pikepdf.open(press["parts"]) as pdf:
        for page in pdf.pages:
            assert len(_marks(pdf, page)) == 8
            for box in ("/MediaBox", "/TrimBox", "/BleedBox"):
                assert [float(v) for v in page.obj[box]] == [float(v) for v in pdf.pages[0].obj[box]]
        for n in blanks:
            ops = [str(o) for _, o in pikepdf.parse_content_stream(pdf.pages[n])]
            assert "Tj" not in ops and "TJ" not in ops


def test_the_default_blank_page_is_empty_with_the_same_boxes(press):
    parts = [_screen(_html([body], "", LINK_PREFIX)) for body in PARTS]
    with pikepdf.open(io.BytesIO(stitch(parts, identifier=b"x", blanks_before=[False, True],
                                                        pad_to=4))) as pdf:
        count = len(pdf.pages)
        assert count % 4 == 0
        empty = [n for n, page in enumerate(pdf.pages) if not page.obj.Contents.read_bytes()]
        written = sum(_pages(p) for p in parts)
        assert empty == [_pages(parts[0]), *range(written + 1, count)]  # before part 1, then the padding
        assert count == written + 1 + (-(written + 1) % 4)
        for n in empty:
            assert [float(v) for v in pdf.pages[n].MediaBox] == [float(v) for v in pdf.pages[0].MediaBox]


def test_each_font_subset_has_a_name_of_its_own(screen):
    """WeasyPrint names a subset by its font alone; the parts cut different subsets of one font,
    and one file may not give two subsets one name (ISO 32000-1 §9.6.4)."""
    files: dict[str, set[tuple[int, int]]] = {}
    with pikepdf.open(screen["parts"]) as pdf:
        for page in pdf.pages:
            for font in page.obj.Resources.Font.values():
                cid = font.DescendantFonts[0]
                assert font.BaseFont == cid.BaseFont == cid.FontDescriptor.FontName
                files.setdefault(str(font.BaseFont), set()).add(cid.FontDescriptor.FontFile2.objgen)
    with pikepdf.open(screen["folder"] / "part0.pdf") as first:
        families = {str(f.BaseFont)[7:] for page in first.pages for f in page.obj.Resources.Font.values()}
    assert len(files) > len(families), "every part cut the same subsets: the test proves nothing"
    assert all(len(objects) == 1 for objects in files.values()), files


def test_id_trees_role_maps_and_old_style_destinations_are_merged(screen):
    """What WeasyPrint 70 does not write but a part may hold: an IDTree, a RoleMap, a /Dests
    dictionary (PDF 1.1) instead of a name tree."""
    parts = []
    for number in range(2):
        with pikepdf.open(screen["folder"] / f"part{number}.pdf") as pdf:
            root = pdf.Root.StructTreeRoot
            heading = next(e for e in _elements(root.K[0]) if e.S == "/H1")
            root.IDTree = pdf.make_indirect(pikepdf.Dictionary(Names=[pikepdf.String(f"h{number}"), heading]))
            root.RoleMap = pikepdf.Dictionary({f"/Role{number}": pikepdf.Name.P, "/Same": pikepdf.Name(f"/H{number + 1}")})
            if number == 1:
                names = pdf.Root.Names.Dests.Names
                pdf.Root.Dests = pikepdf.Dictionary({f"/{names[i]}": names[i + 1] for i in range(0, len(names), 2)})
                del pdf.Root["/Names"]
            buffer = io.BytesIO()
            pdf.save(buffer)
            parts.append(buffer.getvalue())
    parts.append((screen["folder"] / "part2.pdf").read_bytes())  # the links' target
    with pikepdf.open(io.BytesIO(stitch(parts, identifier=b"x"))) as pdf:
        root = pdf.Root.StructTreeRoot
        ids = root.IDTree.Names
        assert [str(ids[0]), str(ids[2])] == ["h0", "h1"]
        assert [ids[1].objgen, ids[3].objgen] == [e.objgen for e in _elements(root.K[0]) if e.S == "/H1"][:2]
        assert dict(root.RoleMap.items()) == {"/Role0": "/P", "/Role1": "/P", "/Same": "/H1"}
        pages = {page.objgen: number for number, page in enumerate(pdf.pages, 1)}
        names = pdf.Root.Names.Dests.Names
        dests = {str(names[i]): pages[names[i + 1][0].objgen] for i in range(0, len(names), 2)}
    assert dests["one-b"] == _anchors(screen["parts"])["one-b"] and dests["front"] == 1
