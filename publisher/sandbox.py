"""Rendering fetches nothing from the network and nothing but the files it was given."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse


class OfflineFetcher(URLFetcher):  # type: ignore[misc]
    """Serve the report's checked images from memory, files under the allowed roots (the
    bundled styles and fonts) and data: URLs; fail the build on anything else.

    The content folder is not a root: an image is served only if the loader read and checked
    it (`files`, resolved path → bytes), so nothing in the content can make the renderer read,
    embed or attach any other file — of the content folder or of the project.
    """

    def __init__(self, roots: tuple[Path, ...], files: dict[Path, bytes] | None = None) -> None:
        super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=True)
        self.roots = tuple(r.resolve() for r in roots)
        self.files = {path.resolve(): data for path, data in (files or {}).items()}

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.scheme != "file":
            raise FatalURLFetchingError(f"refused to fetch {url!r}: only local files may be used")
        path = Path(unquote(parts.path)).resolve()
        if path in self.files:
            return URLFetcherResponse(url, body=self.files[path], headers={})
        if not any(path.is_relative_to(root) for root in self.roots):
            raise FatalURLFetchingError(f"refused to read {path}: it is not one of the report's files")
        if not path.is_file():
            raise FatalURLFetchingError(f"missing file {path}")
        return URLFetcherResponse(url, body=path.read_bytes(), headers={})
