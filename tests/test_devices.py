"""The EPUB in a second reading system: calibre renders it to PDF (its browser engine, as a
reader's app would) and converts it to AZW3 for Kindle; every figure must be drawn, none
replaced by a broken-image icon and its alternative text.

calibre is installed by .ci/install-tools.sh; without it these tests skip. As root its browser
engine needs QTWEBENGINE_CHROMIUM_FLAGS=--no-sandbox.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from publisher.chart import OUTPUTS, svg
from publisher.charttext import text_boxes

pytestmark = pytest.mark.slow

CALIBRE = shutil.which("ebook-convert")


def _convert(source: Path, target: Path) -> None:
    if not CALIBRE:
        pytest.skip("calibre (ebook-convert) is not installed; .ci/install-tools.sh installs it")
    env = {**os.environ, "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox"}
    done = subprocess.run([CALIBRE, str(source), str(target)], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def _squeezed(text: str) -> str:
    """Text without white space (calibre's PDF spaces and breaks chart labels its own way)."""
    return re.sub(r"\s+", "", text)


def _check_figures_drawn(pdf: Path, report) -> None:
    text = _squeezed(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout)
    charts = [f for f in report.figures if f.spec.kind != "image"]
    assert charts
    for figure in charts:
        # A reader shows the alternative text only where the image failed.
        assert _squeezed(figure.alt)[:60] not in text, f"{figure.spec.id}: its alternative text is shown"
        # The drawing is there: its labels are in the page (calibre keeps SVG as vector text).
        labels = sorted({b.text for b in text_boxes(svg(figure, OUTPUTS["narrow"]))[1] if len(b.text) > 4},
                        key=len, reverse=True)[:3]
        assert labels and all(_squeezed(label) in text for label in labels), (figure.spec.id, labels)


def test_calibre_draws_every_figure_of_the_epub(real_built, tmp_path):
    pdf = tmp_path / "book.pdf"
    _convert(real_built.file(".epub"), pdf)
    _check_figures_drawn(pdf, real_built.report)


def test_every_figure_survives_the_conversion_to_azw3(real_built, tmp_path):
    azw3, pdf = tmp_path / "book.azw3", tmp_path / "kindle.pdf"
    _convert(real_built.file(".epub"), azw3)
    assert azw3.stat().st_size > 0
    _convert(azw3, pdf)  # the Kindle book as calibre reads it back and draws it
    _check_figures_drawn(pdf, real_built.report)
