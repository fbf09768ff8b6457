"""Images from the content folder, checked once at load: type by content, size, and safety.

An image is copied into the web edition and the EPUB and drawn into the PDF, so it must be
what its name says (a browser or e-reader decides by the name and the manifest type), small
enough to decode, and, for SVG, free of anything active: an SVG file is a document that can
carry script, and a reader who opens `read/images/x.svg` on its own would run it.
"""

from __future__ import annotations

import io
import re
import warnings
from typing import Any

from .limits import MAX_IMAGE_FILE, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, MAX_SVG_DEPTH, MAX_SVG_ELEMENTS

MAX_BYTES = MAX_IMAGE_FILE  # per image file
MAX_PIXELS = MAX_IMAGE_PIXELS  # width × height of a raster image (an A4 page at 600 dpi is 35 Mpx)
MAX_SIDE = MAX_IMAGE_SIDE  # pixels, either side

TYPES = {"png": "image/png", "jpeg": "image/jpeg", "svg": "image/svg+xml"}
SUFFIXES = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".svg": "svg"}

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
# Metadata that drawing programs leave in SVG files; browsers ignore these elements.
INERT_NS = {
    "http://www.inkscape.org/namespaces/inkscape",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://creativecommons.org/ns#",
    "http://purl.org/dc/elements/1.1/",
    "http://purl.org/dc/terms/",
}
# Static drawing only: no script, no foreignObject (HTML inside SVG), no animation (which can
# rewrite a link's target), no feImage (which loads other files).
SVG_ELEMENTS = frozenset("""
    svg g defs desc title metadata symbol use switch a
    path rect circle ellipse line polyline polygon text tspan textPath image
    clipPath mask pattern marker linearGradient radialGradient stop style
    filter feBlend feColorMatrix feComponentTransfer feComposite feConvolveMatrix feDiffuseLighting
    feDisplacementMap feDistantLight feDropShadow feFlood feFuncA feFuncB feFuncG feFuncR
    feGaussianBlur feMerge feMergeNode feMorphology feOffset fePointLight feSpecularLighting
    feSpotLight feTile feTurbulence
""".split())
EMBEDDED_RASTER = re.compile(r"data:image/(png|jpeg);base64,[A-Za-z0-9+/=\s]*", re.I)
CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^)'\"\s]*)", re.I)
URL_FRAGMENT = re.compile(r"url\(\s*['\"]?\s*#([^)'\"\s]*)", re.I)
CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})\s?|(.))", re.S)
CSS_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.S)
# CSS that loads or runs anything: imports, other resources, old script hooks.
CSS_ACTIVE = ("@import", "@font-face", "image-set(", "image(", "cross-fade(", "element(", "src(", "expression(",
              "javascript:", "behavior:", "-moz-binding")


class ImageError(Exception):
    """An image that may not be used; the message names what is wrong with it."""


def sniff(data: bytes) -> str | None:
    """The image type of `data` by its first bytes: "png", "jpeg", "svg", or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!DOCTYPE svg")) and b"<svg" in data[:4096]:
        return "svg"
    return None


def check_image(data: bytes, name: str) -> str:
    """Check an image file's bytes; return its media type ("image/png", "image/jpeg",
    "image/svg+xml").

    Rules: at most MAX_BYTES; the type read from the content must match the name's suffix
    (.png, .jpg/.jpeg, .svg); raster images at most MAX_SIDE px a side and MAX_PIXELS in all,
    and decodable to the end; SVG see `check_svg`. Raises ImageError.
    """
    if len(data) > MAX_BYTES:
        raise ImageError(f"image is larger than the limit of {MAX_BYTES} bytes")
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    expected = SUFFIXES.get(suffix)
    if expected is None:
        raise ImageError(f"unsupported image type {suffix!r}: use .png, .jpg or .svg")
    found = sniff(data)
    if found is None:
        raise ImageError(f"the file is not a PNG, JPEG or SVG image (its name ends {suffix!r})")
    if found != expected:
        raise ImageError(f"the file holds a {found.upper()} image but its name ends {suffix!r}")
    if found == "svg":
        check_svg(data)
    else:
        _check_raster(data)
    return TYPES[found]


def _check_raster(data: bytes) -> None:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as picture:
                width, height = picture.size
                if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
                    raise ImageError(f"image of {width} × {height} px exceeds the limit of {MAX_SIDE} px a side "
                                     f"and {MAX_PIXELS // 1_000_000} megapixels")
                picture.verify()  # the file's structure and checksums, to its end
            with Image.open(io.BytesIO(data)) as picture:
                picture.load()  # and the pixels decode
    except ImageError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"the image cannot be decoded ({exc})") from None


def check_svg(data: bytes) -> None:
    """Refuse an SVG that is not a static drawing.

    Parsed with defusedxml: no entity declarations (billion laughs), no external entities or
    DTDs. Refused: elements outside a static-drawing allowlist (script, foreignObject,
    animation, feImage, any HTML element), event-handler attributes (on…), links and
    references that leave the file (only `#fragment` references, and embedded PNG/JPEG data
    in <image>), and style sheets that import or load anything. Raises ImageError.
    """
    from xml.etree.ElementTree import ParseError, TreeBuilder

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser

    class Builder(TreeBuilder):
        """Notes every processing instruction, also those before the root element."""

        seen: list[str] = []

        def pi(self, target: str, text: str | None = None) -> Any:
            self.seen.append(target)
            return super().pi(target, text)

    builder = Builder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as exc:
        raise ImageError(f"SVG refused: {type(exc).__name__} (entity and external declarations are not allowed)") \
            from None
    except ParseError as exc:
        raise ImageError(f"SVG is not well-formed XML ({exc})") from None
    if builder.seen:
        # A browser applies an <?xml-stylesheet?>: CSS that loads files, or XSLT that writes
        # script into the page.
        raise ImageError("SVG refused: processing instructions (such as <?xml-stylesheet?>) are not allowed")
    if root.tag != f"{{{SVG_NS}}}svg":
        raise ImageError("SVG refused: the root element is not <svg> in the SVG namespace")
    for count, element in enumerate(root.iter(), 1):
        if count > MAX_SVG_ELEMENTS:
            raise ImageError(f"SVG has more than {MAX_SVG_ELEMENTS} elements")
        _check_element(element)
    _check_depth(root)
    drawn = _drawn_elements(root)
    if drawn > MAX_SVG_ELEMENTS:
        raise ImageError(f"SVG refused: its <use> elements and url(#…) references draw {drawn} elements "
                         f"(at most {MAX_SVG_ELEMENTS})")


def _check_depth(root: Any) -> None:
    """Refuse elements nested more than MAX_SVG_DEPTH levels deep: the PDF renderer draws an SVG
    by recursion. Iterative itself. Raises ImageError."""
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_SVG_DEPTH:
            raise ImageError(f"SVG refused: elements are nested more than {MAX_SVG_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in element)


def _references(element: Any, by_id: dict[str, Any]) -> list[Any]:
    """What drawing `element` draws besides itself: its child elements, the element its
    `href="#id"` names (<use>) and those its url(#id) values name (clip paths, masks, markers,
    patterns, filters — each drawn again wherever it is used)."""
    found = [child for child in element if isinstance(child.tag, str)]
    for key, value in element.attrib.items():
        names = [value.strip()[1:]] if _split(key)[1] == "href" and value.strip().startswith("#") else []
        names += URL_FRAGMENT.findall(value)
        found += [by_id[name] for name in names if name in by_id]
    if _split(element.tag)[1] == "style":
        found += [by_id[name] for name in URL_FRAGMENT.findall(element.text or "") if name in by_id]
    return found


def _drawn_elements(root: Any) -> int:
    """How many elements drawing the SVG draws, each reference counted in full: 7 levels of <g>
    that each <use> the level below 10 times draw 10 million elements from 70 lines.

    Each element is measured once (memoized), without recursion (a chain of references can be as
    long as the file). Raises ImageError for an element that refers to itself, directly or not.
    """
    by_id: dict[str, Any] = {}
    for element in root.iter():
        by_id.setdefault(element.get("id"), element)
    size: dict[int, int] = {}
    edges: dict[int, list[Any]] = {}
    busy: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        element, done = stack.pop()
        key = id(element)
        if done:
            size[key] = 1 + sum(size[id(target)] for target in edges[key])
            busy.discard(key)
        elif key not in size:
            if key in busy:
                raise ImageError(f"SVG refused: <{_split(element.tag)[1]}> refers to itself")
            busy.add(key)
            edges[key] = _references(element, by_id)
            stack.append((element, True))
            for target in edges[key]:
                if id(target) in busy:
                    raise ImageError(f"SVG refused: <{_split(target.tag)[1]}> refers to itself")
                if id(target) not in size:
                    stack.append((target, False))
    return size[id(root)]


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, local = tag[1:].split("}", 1)
        return namespace, local
    return "", tag


def _check_element(element: object) -> None:
    tag = getattr(element, "tag", None)
    if not isinstance(tag, str):  # comments
        return
    namespace, local = _split(tag)
    if namespace in INERT_NS:
        return
    if namespace != SVG_NS or local not in SVG_ELEMENTS:
        raise ImageError(f"SVG refused: element <{local}> is not allowed (only static drawing elements)")
    for key, value in element.attrib.items():  # type: ignore[attr-defined]
        attr_ns, attr = _split(key)
        if attr.lower().startswith("on"):
            raise ImageError(f"SVG refused: event handler attribute {attr!r} on <{local}>")
        if attr == "href" and attr_ns in ("", XLINK_NS):
            _check_reference(value, local)
        else:  # any attribute may hold CSS (style, fill, filter, mask …)
            _check_css(value, local)
    if local == "style":
        if len(element):  # type: ignore[arg-type]
            raise ImageError("SVG refused: <style> may hold only text")
        _check_css(element.text or "", local)  # type: ignore[attr-defined]


def _check_reference(value: str, local: str) -> None:
    value = value.strip()
    if value.startswith("#"):
        return
    if local == "image" and EMBEDDED_RASTER.fullmatch(value):
        return
    shown = value if len(value) < 60 else value[:57] + "…"
    raise ImageError(f"SVG refused: <{local}> refers to {shown!r}; only references inside the file are allowed")


def _plain_css(css: str) -> str:
    """CSS as a browser reads it: comments dropped, escapes (\\69, \\i) decoded, lower case."""
    def unescape(match: re.Match[str]) -> str:
        if match.group(1):
            code = int(match.group(1), 16)
            return chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else "\ufffd"
        return match.group(2)

    return CSS_ESCAPE.sub(unescape, CSS_COMMENT.sub(" ", css)).lower()


def _check_css(css: str, local: str) -> None:
    plain = _plain_css(css)
    if any(word in plain for word in CSS_ACTIVE):
        raise ImageError(f"SVG refused: <{local}> has a style that loads or runs something")
    for match in CSS_URL.finditer(plain):
        if not match.group(1).startswith("#"):
            raise ImageError(f"SVG refused: <{local}> loads {match.group(1)!r}; only url(#…) is allowed")
