"""Rendering reads nothing from the network and nothing but the report's checked files."""

from __future__ import annotations

import pikepdf
import pytest
from weasyprint.urls import FatalURLFetchingError

from publisher.pdf import render_pdf
from publisher.sandbox import OfflineFetcher
from publisher.formats import STYLES
from tests.conftest import ROOT

IMAGE = b"\x89PNG pretend image bytes"


@pytest.fixture
def fetcher(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "undeclared.png").write_bytes(b"not declared")
    return OfflineFetcher((STYLES,), {tmp_path / "images" / "map.png": IMAGE})


@pytest.mark.parametrize("url", ["https://example.org/logo.png", "http://127.0.0.1/x.css",
                                 "ftp://example.org/x", "file:///etc/passwd"])
def test_refuses_network_and_outside_files(fetcher, url):
    with pytest.raises(FatalURLFetchingError):
        fetcher.fetch(url)


@pytest.mark.parametrize("name", [".git/config", ".git/HEAD", "pyproject.toml", "publisher/loader.py",
                                  "templates/print/report.html", "README.md"])
def test_refuses_project_files_outside_the_styles(fetcher, name):
    with pytest.raises(FatalURLFetchingError):
        fetcher.fetch((ROOT / name).as_uri())


def test_refuses_content_files_the_report_did_not_declare(fetcher, tmp_path):
    with pytest.raises(FatalURLFetchingError):
        fetcher.fetch((tmp_path / "images" / "undeclared.png").as_uri())
    with pytest.raises(FatalURLFetchingError):
        fetcher.fetch((tmp_path / "report.yaml").as_uri())


def test_serves_declared_images_from_memory_styles_and_data_urls(fetcher, tmp_path):
    assert fetcher.fetch((tmp_path / "images" / "map.png").as_uri()).read() == IMAGE
    css = fetcher.fetch((STYLES / "common.css").as_uri())
    assert b"font-family" in css.read()
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


def test_symlink_out_of_the_styles_is_refused(tmp_path):
    link = tmp_path / "innocent.css"
    link.symlink_to("/etc/hostname")
    with pytest.raises(FatalURLFetchingError):
        OfflineFetcher((tmp_path.parent / "nothing",)).fetch(link.as_uri())


def test_a_remote_image_fails_the_render(tmp_path):
    html = '<html lang="en"><title>x</title><body><img src="https://example.org/a.png" alt="a"></body></html>'
    with pytest.raises(FatalURLFetchingError):
        render_pdf(html, "screen", tmp_path / "x.pdf", tmp_path, {})
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize("href", [(ROOT / ".git" / "config").as_uri(), "../.git/config",
                                  (ROOT / "pyproject.toml").as_uri()])
def test_an_attachment_of_a_project_file_fails_the_render(tmp_path, href):
    # WeasyPrint embeds files named by <a rel="attachment">; even if such markup reached the
    # renderer, no project file may end up inside the PDF.
    html = (f'<html lang="en"><title>x</title><body><p><a rel="attachment" href="{href}">config</a></p>'
            "</body></html>")
    try:
        render_pdf(html, "screen", tmp_path / "x.pdf", tmp_path, {})
    except FatalURLFetchingError:
        return
    with pikepdf.open(tmp_path / "x.pdf") as pdf:
        assert not pdf.attachments, "a project file was attached to the PDF"
        subtypes = [str(a.get("/Subtype")) for page in pdf.pages for a in page.get("/Annots", [])]
        assert "/FileAttachment" not in subtypes, "a project file was attached to a page"
