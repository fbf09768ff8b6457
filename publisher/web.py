"""The web writer: the report's detail and download page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from .model import Report
from .output import write_atomic
from .templates import STYLES, render

FORMATS = {".pdf": "PDF", ".epub": "EPUB"}


@dataclass(frozen=True)
class Download:
    """A file offered on the detail page."""

    name: str
    label: str
    format: str
    size: int


def downloads(out: Path, names: list[tuple[str, str]]) -> list[Download]:
    """Describe the files that exist in the output folder, in the order given."""
    found = []
    for name, label in names:
        path = out / name
        if path.exists():
            found.append(Download(name, label, FORMATS[path.suffix], path.stat().st_size))
    return found


def write_web(report: Report, env: jinja2.Environment, out: Path, files: list[tuple[str, str]]) -> list[Path]:
    """Write dist/index.html and its stylesheet and fonts."""
    assets = out / "assets"
    written = [write_atomic(assets / "web.css", (STYLES / "web.css").read_bytes())]
    for font in sorted((STYLES / "fonts").glob("*.[ot]tf")):
        target = assets / "fonts" / font.name
        if not target.exists() or target.stat().st_size != font.stat().st_size:
            write_atomic(target, font.read_bytes())
    html = render(env, "web/index.html", report=report, meta=report.meta,
                  downloads=downloads(out, files))
    written.append(write_atomic(out / "index.html", html))
    return written
