"""Rendering fetches nothing from the network and nothing outside the project."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse


class OfflineFetcher(URLFetcher):  # type: ignore[misc]
    """Serve file: URLs under the allowed roots and data: URLs; fail the build on anything else."""

    def __init__(self, roots: tuple[Path, ...]) -> None:
        super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=True)
        self.roots = tuple(r.resolve() for r in roots)

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.scheme != "file":
            raise FatalURLFetchingError(f"refused to fetch {url!r}: only local files may be used")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise FatalURLFetchingError(f"refused to read {path}: it is outside the project")
        if not path.is_file():
            raise FatalURLFetchingError(f"missing file {path}")
        return URLFetcherResponse(url, body=path.read_bytes(), headers={})
