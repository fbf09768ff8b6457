"""The toolchain a build ran with: the versions of everything that shapes the output bytes.

The outputs are byte-identical for the same content and the same toolchain, whatever the
machine's time zone, locale, umask, hash seed, output folder or optional libraries. What is
left to differ is recorded here: the Python packages that draw, shape, subset and pack; the
system libraries WeasyPrint lays text out with (Pango, HarfBuzz); and cairo, which nothing of
the build draws with any more (charts are rasterised by resvg, covers by PDFium) but which is
recorded all the same. Each build records it in OUT/.build/build-info.json (manifest.py), each
release in its manifest (edition.py), and it is one of the inputs of every output (a new
toolchain rebuilds them). This module imports nothing of the publisher's.

Finding the versions is cheap (package metadata and three library calls), so the up-to-date
check can afford it: WeasyPrint is not imported.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import platform
from functools import lru_cache
from importlib import metadata

# Python packages whose version can change the bytes of an output.
PACKAGES = ("weasyprint", "pydyf", "fonttools", "ebooklib", "pillow", "pypdfium2", "resvg-py", "vl-convert-python",
            "pyphen", "babel")
# System libraries: the names WeasyPrint and cairocffi load them by, and their version function.
LIBRARIES = {
    "pango": (("libpango-1.0.so.0", "libpango-1.0.dylib", "libpango-1.0-0.dll", "pango-1.0"),
              "pango_version_string"),
    "harfbuzz": (("libharfbuzz.so.0", "libharfbuzz.0.dylib", "libharfbuzz-0.dll", "harfbuzz"),
                 "hb_version_string"),
    "cairo": (("libcairo.so.2", "libcairo.2.dylib", "libcairo-2.dll", "cairo"), "cairo_version_string"),
}
HB_SUBSET = ("libharfbuzz-subset.so.0", "libharfbuzz-subset.0.dylib", "libharfbuzz-subset-0.dll", "harfbuzz-subset")
# Every field of a toolchain record; `harfbuzz-subset` is true or false, the others text.
FIELDS = ("python", *PACKAGES, *LIBRARIES, "harfbuzz-subset")
BUILD_INFO = "build-info.json"


def _load(names: tuple[str, ...]) -> ctypes.CDLL | None:
    """The first of the libraries that loads: file names as they are, bare names looked up."""
    for name in names:
        candidate = name if "." in name else ctypes.util.find_library(name)
        if candidate:
            try:
                return ctypes.CDLL(candidate)
            except OSError:
                continue
    return None


def _library_version(names: tuple[str, ...], function: str) -> str:
    library = _load(names)
    if library is None:
        return "missing"
    version = getattr(library, function)
    version.restype = ctypes.c_char_p
    return str(version().decode("ascii", "replace"))


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "missing"


@lru_cache(maxsize=1)
def toolchain() -> dict[str, str | bool]:
    """The versions of Python, the packages and the libraries that shape the outputs, and
    whether HarfBuzz's subsetter is installed (WeasyPrint would use it; the build does not)."""
    found: dict[str, str | bool] = {"python": platform.python_version()}
    found.update((name, _package_version(name)) for name in PACKAGES)
    found.update((name, _library_version(*spec)) for name, spec in LIBRARIES.items())
    found["harfbuzz-subset"] = _load(HB_SUBSET) is not None
    return found


def digest_text() -> str:
    """The toolchain as text for the input digests (hb-subset is not an input: the build never
    uses it)."""
    return json.dumps({k: v for k, v in toolchain().items() if k != "harfbuzz-subset"}, sort_keys=True)


def build_info() -> str:
    """The text of OUT/.build/build-info.json (written beside the manifest by manifest.save)."""
    return json.dumps({"toolchain": toolchain()}, indent=1, sort_keys=True) + "\n"
