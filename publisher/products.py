"""What one writer learns and the next needs, passed as typed values: the products of a build.

The PDF writer learns the print layout's page map (the EPUB places its page-break markers
from it) and the page counts, sizes and digests of the PDFs, and renders the cover thumbnail
(the detail page shows and describes them); the EPUB writer learns its file's size and digest.
Each writer takes the products so far and returns them with its own added
(`Writer.write(report, stage, products) -> products`); a value that is still being computed
(the PDFs render in other processes) is `Deferred` and waited for only by whoever reads it.

Products outlive a build in `OUT/.build/products.json` (and `cover.jpg`), so that an EPUB or a
detail page rebuilt on its own describes the PDFs of the last build without reading them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from .model import Report
from .formats import STATE
from .output import write_atomic

T = TypeVar("T")


class Deferred(Generic[T]):
    """A value now, or one computed when first asked for (`get()`), then kept; `Deferred()` is
    "none" (a product that this build does not make)."""

    def __init__(self, value: T | None = None, compute: Callable[[], T] | None = None) -> None:
        self._value = value
        self._compute = compute

    def get(self) -> T | None:
        if self._compute is not None:
            self._value, self._compute = self._compute(), None
        return self._value


@dataclass(frozen=True)
class PageMap:
    """Where the elements of a PDF edition fall: element id → the page it starts on (1-based)."""

    edition: str
    pages: int
    anchors: dict[str, int]


@dataclass(frozen=True)
class OutputFile:
    """An output file as the detail page offers it: name, label, size in bytes, SHA-256, pages."""

    name: str
    label: str
    format: str  # PDF, EPUB
    media_type: str
    size: int
    sha256: str
    pages: int | None = None


MEDIA = {".pdf": ("PDF", "application/pdf"), ".epub": ("EPUB", "application/epub+zip")}


def describe(name: str, label: str, data: bytes, pages: int | None = None) -> OutputFile:
    """The description of an output file from its bytes."""
    kind, media_type = MEDIA[Path(name).suffix]
    return OutputFile(name, label, kind, media_type, len(data), hashlib.sha256(data).hexdigest(), pages)


@dataclass(frozen=True)
class Products:
    """The products of the writers so far (see the module's docstring)."""

    files: dict[str, tuple[Path, ...]] = field(default_factory=dict)  # target → files written, stage-relative
    layouts: dict[str, Deferred[PageMap]] = field(default_factory=dict)  # PDF edition → page map
    outputs: dict[str, Deferred[OutputFile]] = field(default_factory=dict)  # output key → its description
    cover: Deferred[bytes | None] = field(default_factory=Deferred)  # JPEG thumbnail of the screen PDF

    def add(self, target: str, files: list[Path], layouts: dict[str, Deferred[PageMap]] | None = None,
            outputs: dict[str, Deferred[OutputFile]] | None = None,
            cover: Deferred[bytes | None] | None = None) -> Products:
        """These products with a target's files and what else it made, merged into the maps (a
        writer that makes layouts gives all of them: any left from before are dropped)."""
        return Products(
            files={**self.files, target: tuple(files)},
            layouts=self.layouts if layouts is None else layouts,
            outputs={**self.outputs, **(outputs or {})},
            cover=self.cover if cover is None else cover,
        )

    def resolve(self) -> None:
        """Wait for every deferred product (raising the error of one that failed)."""
        for edition in self.layouts:
            self.layout(edition)
        for key in self.outputs:
            self.output(key)
        self.cover.get()

    def layout(self, edition: str) -> PageMap | None:
        found = self.layouts.get(edition)
        return found.get() if found else None

    def output(self, key: str) -> OutputFile | None:
        found = self.outputs.get(key)
        return found.get() if found else None

    # --- kept between builds --------------------------------------------------------------
    def _state(self, *parts: str) -> dict[str, dict[str, object]]:
        """The resolved products named (all by default), as plain data; asks only for those."""
        found: dict[str, dict[str, object]] = {}
        if not parts or "layouts" in parts:
            found["layouts"] = {k: dataclasses.asdict(v) for k in sorted(self.layouts) if (v := self.layout(k))}
        if not parts or "outputs" in parts:
            found["outputs"] = {k: dataclasses.asdict(v) for k in sorted(self.outputs) if (v := self.output(k))}
        return found

    def save(self, folder: Path) -> list[Path]:
        """Write the resolved products into FOLDER/.build/ (a build's stage, moved into the output
        folder with its files); return the files written, relative to FOLDER (products.json, and
        cover.jpg when there is a cover)."""
        state = self._state()
        written = [write_atomic(folder / STATE / "products.json", json.dumps(state, indent=1, sort_keys=True))]
        cover = self.cover.get()
        if cover:
            written.append(write_atomic(folder / STATE / "cover.jpg", cover))
        return [p.relative_to(folder) for p in written]

    def merged(self, current: Products, owned: list[str]) -> Products:
        """These products' own (`owned`: "layouts", "cover", output keys) over `current`, the
        products on disk, which a build running beside this one may have changed meanwhile."""
        layouts = self.layouts if "layouts" in owned else current.layouts
        outputs = {**current.outputs, **{k: v for k, v in self.outputs.items() if k in owned}}
        cover = self.cover if "cover" in owned else current.cover
        return Products(dict(self.files), layouts, outputs, cover)

    @classmethod
    def load(cls, out: Path) -> Products:
        """The products of the last builds (empty if there were none, or they are unreadable)."""
        try:
            state = json.loads((out / STATE / "products.json").read_text(encoding="utf-8"))
            layouts = {k: Deferred(PageMap(**v)) for k, v in state["layouts"].items()}
            outputs = {k: Deferred(OutputFile(**v)) for k, v in state["outputs"].items()}
        except (OSError, ValueError, KeyError, TypeError):
            return cls()
        cover_path = out / STATE / "cover.jpg"
        cover = cover_path.read_bytes() if cover_path.is_file() else None
        return cls({}, layouts, outputs, Deferred(cover))

    def digest(self, *parts: str) -> str:
        """A digest of some of the products (e.g. "layouts", "outputs"), for the up-to-date check."""
        state = self._state(*parts)
        return hashlib.sha256(json.dumps([state[p] for p in parts], sort_keys=True).encode()).hexdigest()


class Writer(Protocol):
    """The one contract of every output format's writer, made as `Writer(env, options)`."""

    target: str

    def write(self, report: Report, stage: Path, products: Products) -> Products:
        """Write this target's files into `stage`; return the products with its own added.

        Raises ReportError (RenderError, OutputError) when the output cannot be made.
        """
        ...

    def finish(self) -> None:
        """Wait until every file `write` started is written (raising its error)."""
        ...

    def stop(self) -> None:
        """Give up whatever is still running (after an error elsewhere)."""
        ...


class SimpleWriter:
    """A writer that has written everything when `write` returns."""

    def finish(self) -> None:
        pass

    def stop(self) -> None:
        pass
