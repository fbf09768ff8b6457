"""Proof sheets: every page of a PDF as a thumbnail on one PNG, for reviewers."""

from __future__ import annotations

import os
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


MAX_PAGES = 400  # pages on one contact sheet (at 40 dpi an A4 page is 331 × 468 px: the sheet stays near 100 MB)


def contact_sheet(pdf: Path, target: Path, dpi: int = 40) -> Path:
    """Render the first MAX_PAGES pages with poppler's pdftoppm and lay them out with page numbers.

    Raises ReportError if pdftoppm is missing or cannot read the PDF (damaged, truncated, not a PDF).
    """
    if not shutil.which("pdftoppm"):
        raise ReportError("proof needs pdftoppm (Debian package poppler-utils)")
    with tempfile.TemporaryDirectory() as temp:
        result = subprocess.run(["pdftoppm", "-r", str(dpi), "-l", str(MAX_PAGES), "-png", str(pdf), f"{temp}/page"],
                                capture_output=True, text=True)
        files = sorted(Path(temp).glob("page-*.png"))
        if result.returncode != 0 or not files:
            reason = (result.stderr.strip().splitlines() or ["it has no pages"])[-1]
            raise ReportError(f"{pdf}: cannot be rendered as a PDF (pdftoppm: {reason})")
        sizes = []
        for path in files:
            with Image.open(path) as page:
                sizes.append(page.size)
        width = max(w for w, _ in sizes)
        height = max(h for _, h in sizes)
        columns = min(COLUMNS, len(files))  # a one-page file (the cover wrap) is not set in a wide grey grid
        rows = -(-len(files) // columns)
        label = ImageFont.truetype(str(FONTS / "Inter-Regular.otf"), 14)
        sheet = Image.new("RGB", (columns * (width + GAP) + GAP, rows * (height + GAP + 20) + GAP), (96, 96, 96))
        draw = ImageDraw.Draw(sheet)
        for index, path in enumerate(files):  # one page in memory at a time
            x = GAP + (index % columns) * (width + GAP)
            y = GAP + (index // columns) * (height + GAP + 20)
            with Image.open(path) as page:
                sheet.paste(page.convert("RGB"), (x, y))
            draw.text((x, y + height + 3), str(index + 1), font=label, fill=(255, 255, 255))
    target.parent.mkdir(parents=True, exist_ok=True)
    temp_png = target.with_suffix(".tmp.png")
    sheet.save(temp_png, optimize=True)
    write_atomic(target, temp_png.read_bytes())
    temp_png.unlink()
    return target


def write_proofs(out: Path) -> list[Path]:
    """One contact sheet per PDF in the output folder, in out/proof/: all of them or none (each
    is made in a temporary folder beside them and moved into place once every PDF has rendered).
    Raises ReportError if there is no PDF or one cannot be rendered."""
    pdfs = sorted(out.glob("*.pdf"))
    if not pdfs:
        raise ReportError(f"no PDF in {out}: build first (python build.py pdf)")
    folder = out / "proof"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".making-") as temp:
        made = [contact_sheet(pdf, Path(temp) / f"{pdf.stem}.png") for pdf in pdfs]
        for sheet in made:
            os.replace(sheet, folder / sheet.name)
        return [folder / sheet.name for sheet in made]
