"""The printer's files as PDF/X-4: output intent, page boxes, printer's marks, page count.

WeasyPrint writes `pdf/x-4` (the GTS_PDFX output intent, `pdfxid:GTS_PDFXVersion` and
`pdf:Trapped` in the XMP, `/Trapped` in the Info, TrimBox and BleedBox on every page) once the
document's stylesheets declare the CMYK profile (`profile_css`). `Finish` completes what it
leaves, as the last step before the PDF is written (WeasyPrint's `finisher`):

- the output intent names the characterisation (OutputConditionIdentifier `FOGRA47`, registry
  http://www.color.org, a readable OutputCondition), and its profile is the ICC file byte for
  byte (WeasyPrint re-serialises it through LittleCMS; the ECI licence forbids altering it);
- device RGB is colour-managed: raster images (RGB in the content) are tagged with the sRGB
  profile, and a DefaultRGB colour space (sRGB) makes any RGB an image or drawing of the
  content brings colour-managed too (the publisher's own colours are CMYK builds: ink.py);
- the book block's MediaBox grows to hold crop marks *outside* the bleed: each mark starts
  MARK_OFFSET from the trim (1 mm past the 3 mm bleed) and is MARK_LENGTH long, a 0.25 pt hairline
  in the registration colour (Separation /All: every plate gets it), drawn after the page in a
  graphics state of its own; the BleedBox is the trim plus exactly 3 mm;
- the page count is padded with blank pages (marks only) to a multiple of `signature`;
- the pages carry no annotations (WeasyPrint's links: nothing to click on paper, and PDF/X
  keeps annotations off the printed area);
- the XMP's DocumentID is derived from the file's name and the report (WeasyPrint draws a
  random one, and the same input must give the same bytes).

Sources of the rules: ISO 15930-7 (PDF/X-4: output intent, XMP identification, Trapped, TrimBox
and BleedBox); the PDF Reference, sixth edition (PDF 1.7) §4.5.4 (default colour spaces), §4.5.5
(Separation colour spaces, the colourant name All), §10.10.1 (page boundaries). What the tests
can and cannot verify without a PDF/X validator: docs/printing.md.
"""

from __future__ import annotations

import re
import uuid
import zlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from .formats import PROFILES

PT_PER_MM = 72 / 25.4
BLEED = 3.0  # mm
MARK_OFFSET = 4.0  # mm from the trim to a crop mark's inner end: outside the bleed
MARK_LENGTH = 6.0  # mm
MARK_WIDTH = 0.25  # pt
SLUG = MARK_OFFSET + MARK_LENGTH + 2.0  # mm of sheet around the trim when the page has marks


@dataclass(frozen=True)
class Paper:
    """A paper the book can be printed on: its output profile (a file in styles/icc/) and the
    characterisation it is built on, as the ICC's registry names it."""

    profile: str
    name: str  # the profile's own description
    condition: str  # OutputConditionIdentifier
    description: str  # OutputCondition


PAPERS = {
    "uncoated": Paper("PSO_Uncoated_ISO12647_eci.icc", "PSO Uncoated ISO12647 (ECI)", "FOGRA47",
                      "Offset printing according to ISO 12647-2:2004/Amd 1, paper type 4 (uncoated white), "
                      "screen ruling 60/cm"),
    "coated": Paper("PSO_Coated_NPscreen_ISO12647_eci.icc", "PSO Coated NPscreen ISO12647 (ECI)", "FOGRA43",
                    "Offset printing according to ISO 12647-2:2004/Amd 1, paper type 1 or 2 (coated art), "
                    "non-periodic screening"),
}
REGISTRY = "http://www.color.org"


def profile_css(paper: str) -> str:
    """The stylesheet that declares the paper's CMYK profile as WeasyPrint's output intent (resolved
    against styles/)."""
    return ("@color-profile device-cmyk { components: cyan, magenta, yellow, black; "
            f'src: url("{PROFILES.name}/{PAPERS[paper].profile}"); }}')


def document_id(name: str, urn: str) -> str:
    """A stable XMP DocumentID for a printer's file: the same for the same report and file name."""
    return f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{urn}#{name}')}"


def _number(reference: Any) -> int:
    """The object number of a pydyf reference (b'12 0 R')."""
    text = reference.decode() if isinstance(reference, bytes) else str(reference)
    return int(text.split()[0])


def _box(trim: list[float], margin: float) -> list[float]:
    return [trim[0] - margin, trim[1] - margin, trim[2] + margin, trim[3] + margin]


def crop_marks(trim: list[float]) -> bytes:
    """The content stream of crop marks for a page trimmed at `trim` (PDF units): two marks at
    each corner, on the trim's lines, from MARK_OFFSET to MARK_OFFSET + MARK_LENGTH outside it."""
    near, far = MARK_OFFSET * PT_PER_MM, (MARK_OFFSET + MARK_LENGTH) * PT_PER_MM
    left, bottom, right, top = trim
    lines = []
    for x, side in ((left, -1), (right, 1)):
        for y, up in ((bottom, -1), (top, 1)):
            lines.append((x + side * near, y, x + side * far, y))  # horizontal, on the trim's edge
            lines.append((x, y + up * near, x, y + up * far))  # vertical
    path = " ".join(f"{a:.3f} {b:.3f} m {c:.3f} {d:.3f} l" for a, b, c, d in lines)
    return f"q /Registration CS 1 SCN {MARK_WIDTH} w 0 J [] 0 d {path} S Q".encode()


class Finish:
    """WeasyPrint's finisher for a printer's file (see the module's docstring).

    `paper`: a key of PAPERS; `name`: the file's name and `urn` the report's, for the DocumentID;
    `marks`: crop marks outside the bleed (the book block; the cover wrap's sheet ends at its
    bleed); `signature`: the page count is padded to a multiple of it. After the call, `pages`
    is the number of pages written.
    """

    def __init__(self, paper: str, name: str, urn: str, marks: bool = True, signature: int = 1) -> None:
        self.paper = PAPERS[paper]
        self.name = name
        self.urn = urn
        self.marks = marks
        self.signature = signature
        self.pages = 0

    def __call__(self, document: Any, pdf: Any) -> None:
        import pydyf

        objects = pdf.objects
        srgb = pydyf.Stream([resources.files("weasyprint.pdf").joinpath("sRGB2014.icc").read_bytes()],
                            pydyf.Dictionary({"N": 3}), compress=True)
        pdf.add_object(srgb)
        managed_rgb = pydyf.Array(("/ICCBased", srgb.reference))
        self._output_intent(document, pdf, objects)
        self._metadata(pdf, objects)
        for item in list(objects):
            extra = getattr(item, "extra", None)
            if extra is not None and extra.get("Subtype") == "/Image" and extra.get("ColorSpace") == "/DeviceRGB":
                extra["ColorSpace"] = managed_rgb
        kids = pdf.pages["Kids"][::3]
        first = objects[kids[0]]
        spaces = objects[_number(objects[_number(first["Resources"])]["ColorSpace"])]
        spaces["DefaultRGB"] = managed_rgb
        registration = pydyf.Dictionary({"FunctionType": 2, "Domain": pydyf.Array((0, 1)),
                                         "C0": pydyf.Array((0, 0, 0, 0)), "C1": pydyf.Array((1, 1, 1, 1)), "N": 1})
        pdf.add_object(registration)
        spaces["Registration"] = pydyf.Array(("/Separation", "/All", "/DeviceCMYK", registration.reference))
        save, restore = pydyf.Stream([b"q"]), pydyf.Stream([b"Q"])
        pdf.add_object(save)
        pdf.add_object(restore)
        marks: dict[tuple[float, ...], Any] = {}

        def finish_page(page: Any, content: list[Any]) -> None:
            page.pop("Annots", None)  # links: nothing to click on paper, and no annotation on the page
            trim = [float(v) for v in page["TrimBox"]]
            page["BleedBox"] = pydyf.Array(_box(trim, BLEED * PT_PER_MM))
            if self.marks:
                page["MediaBox"] = pydyf.Array(_box(trim, SLUG * PT_PER_MM))
                key = tuple(trim)
                if key not in marks:
                    marks[key] = pydyf.Stream([crop_marks(trim)], compress=True)
                    pdf.add_object(marks[key])
                content = [*content, marks[key].reference]
            page["Contents"] = pydyf.Array(content)

        for number in kids:
            page = objects[number]
            finish_page(page, [save.reference, page["Contents"], restore.reference])
        blanks = -len(kids) % self.signature
        for _ in range(blanks):
            last = objects[kids[-1]]
            blank = pydyf.Dictionary({"Type": "/Page", "Parent": pdf.pages.reference,
                                      "MediaBox": pydyf.Array(last["MediaBox"]),
                                      "TrimBox": pydyf.Array(last["TrimBox"]), "Resources": last["Resources"]})
            pdf.add_page(blank)
            finish_page(blank, [])
        self.pages = len(kids) + blanks

    def _output_intent(self, document: Any, pdf: Any, objects: list[Any]) -> None:
        import pydyf

        profile = document.color_profiles.get("device-cmyk")
        intents = pdf.catalog.get("OutputIntents")
        if profile is None or not intents:
            raise ValueError("the printer's file has no CMYK output intent (no @color-profile device-cmyk)")
        stream = objects[_number(profile.pdf_reference)]
        stream.stream = [_compressed_profile(self.paper.profile)]  # the profile unaltered, compressed once
        stream.compress = False
        stream.extra["Filter"] = "/FlateDecode"
        intent = intents[0]
        intent["OutputConditionIdentifier"] = pydyf.String(self.paper.condition)
        intent["RegistryName"] = pydyf.String(REGISTRY)
        intent["OutputCondition"] = pydyf.String(self.paper.description)
        intent["Info"] = pydyf.String(profile.name)

    def _metadata(self, pdf: Any, objects: list[Any]) -> None:
        stream = objects[_number(pdf.catalog["Metadata"])]
        xmp = b"".join(part if isinstance(part, bytes) else str(part).encode() for part in stream.stream)
        stream.stream = [re.sub(rb"xmp\.did:[0-9a-f-]{36}", document_id(self.name, self.urn).encode(), xmp)]


@lru_cache(maxsize=4)
def _compressed_profile(name: str) -> bytes:
    """An output profile (a file in styles/icc/) Flate-compressed, once per process: every part of
    a printer's file (pdf.py) embeds it, and compressing 1.3 MB took most of a small part's write."""
    return zlib.compress((PROFILES / name).read_bytes())


def blank_page(pdf: Any, like: Any) -> Any:
    """A blank page of the book block for `stitch.stitch` (a pikepdf.Page of `pdf`): the page boxes
    of `like` (a finished page of `pdf`), and nothing drawn but the crop marks when `like` has
    them (its MediaBox larger than its BleedBox), in `like`'s registration colour."""
    import pikepdf

    trim = [float(v) for v in like.obj.TrimBox]
    boxes = {key: pikepdf.Array([float(v) for v in like.obj[key]])
             for key in ("/MediaBox", "/TrimBox", "/BleedBox") if key in like.obj}
    page = pikepdf.Dictionary(Type=pikepdf.Name.Page, Resources=pikepdf.Dictionary(), **{
        key[1:]: value for key, value in boxes.items()})
    if float(like.obj.MediaBox[0]) < trim[0] - (BLEED + MARK_OFFSET) * PT_PER_MM:  # the sheet has the marks
        spaces = like.obj.Resources.get("/ColorSpace", {})
        registration = spaces.get("/Registration") if isinstance(spaces, pikepdf.Dictionary) else None
        if registration is None:
            function = pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[1, 1, 1, 1], N=1)
            registration = pikepdf.Array([pikepdf.Name.Separation, pikepdf.Name.All, pikepdf.Name.DeviceCMYK,
                                          pdf.make_indirect(function)])
        page.Resources.ColorSpace = pikepdf.Dictionary(Registration=registration)
        page.Contents = pdf.make_stream(crop_marks(trim))
    else:
        page.Contents = pdf.make_stream(b"")
    return pikepdf.Page(pdf.make_indirect(page))
