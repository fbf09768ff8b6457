"""Proof sheets: every page of a PDF as a thumbnail on one PNG, for reviewers."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .errors import ReportError
from .formats import FONTS
from .output import write_atomic

COLUMNS = 8
GAP = 12


def contact_sheet(pdf: Path, target: Path, dpi: int = 40) -> Path:
    """Render the pages with poppler's pdftoppm and lay them out with page numbers."""
    if not shutil.which("pdftoppm"):
        raise ReportError("proof needs pdftoppm (Debian package poppler-utils)")
    with tempfile.TemporaryDirectory() as temp:
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), f"{temp}/page"], check=True)
        pages = [Image.open(p).convert("RGB") for p in sorted(Path(temp).glob("page-*.png"))]
    width = max(p.width for p in pages)
    height = max(p.height for p in pages)
    rows = -(-len(pages) // COLUMNS)
    label = ImageFont.truetype(str(FONTS / "Inter-Regular.otf"), 14)
    sheet = Image.new("RGB", (COLUMNS * (width + GAP) + GAP, rows * (height + GAP + 20) + GAP), (96, 96, 96))
    draw = ImageDraw.Draw(sheet)
    for index, page in enumerate(pages):
        x = GAP + (index % COLUMNS) * (width + GAP)
        y = GAP + (index // COLUMNS) * (height + GAP + 20)
        sheet.paste(page, (x, y))
        draw.text((x, y + height + 3), str(index + 1), font=label, fill=(255, 255, 255))
    target.parent.mkdir(parents=True, exist_ok=True)
    temp_png = target.with_suffix(".tmp.png")
    sheet.save(temp_png, optimize=True)
    write_atomic(target, temp_png.read_bytes())
    temp_png.unlink()
    return target


def write_proofs(out: Path) -> list[Path]:
    """One contact sheet per PDF in the output folder, in out/proof/."""
    pdfs = sorted(out.glob("*.pdf"))
    if not pdfs:
        raise ReportError(f"no PDF in {out}: build first (python build.py pdf)")
    return [contact_sheet(pdf, out / "proof" / f"{pdf.stem}.png") for pdf in pdfs]
