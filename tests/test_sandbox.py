"""Rendering reads nothing from the network and nothing outside the project."""

from __future__ import annotations


import pytest
from weasyprint.urls import FatalURLFetchingError

from publisher.pdf import render_pdf
from publisher.sandbox import OfflineFetcher
from tests.conftest import ROOT


@pytest.fixture
def fetcher(tmp_path):
    return OfflineFetcher((tmp_path, ROOT))


@pytest.mark.parametrize("url", ["https://example.org/logo.png", "http://127.0.0.1/x.css",
                                 "ftp://example.org/x", "file:///etc/passwd"])
def test_refuses_network_and_outside_files(fetcher, url):
    with pytest.raises(FatalURLFetchingError):
        fetcher.fetch(url)


def test_serves_project_files_and_data_urls(fetcher):
    css = fetcher.fetch((ROOT / "styles" / "common.css").as_uri())
    assert b"font-family" in css.read()
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


def test_symlink_out_of_the_project_is_refused(fetcher, tmp_path):
    link = tmp_path / "innocent.css"
    link.symlink_to("/etc/hostname")
    with pytest.raises(FatalURLFetchingError):
        fetcher.fetch(link.as_uri())


def test_a_remote_image_fails_the_render(tmp_path):
    html = '<html lang="en"><title>x</title><body><img src="https://example.org/a.png" alt="a"></body></html>'
    with pytest.raises(FatalURLFetchingError):
        render_pdf(html, "screen", tmp_path / "x.pdf", (tmp_path, ROOT))
    assert not (tmp_path / "x.pdf").exists()
