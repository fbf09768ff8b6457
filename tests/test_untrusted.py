"""Untrusted content cannot escape: no markup or script from any text field, no unsafe image,
no file outside the content folder or not used by the report, no hang on special files."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from publisher.errors import ContentError
from publisher.loader import load_report
from publisher.render import Renderer, Style
from publisher.markdown import Inline, make_parser
from tests.conftest import MINIMAL, ROOT, run_cli

# Raw HTML and links that must never reach a reader, whatever text field they are written in.
HOSTILE = [
    ("script", "Look <script>alert(1)</script> here", "raw HTML is not allowed"),
    ("img-onerror", "Look <img src=x onerror=alert(1)> here", "raw HTML is not allowed"),
    ("iframe", "Look <iframe src=\"https://evil.example/\"></iframe> here", "raw HTML is not allowed"),
    ("svg-onload", "Look <svg onload=alert(1)> here", "raw HTML is not allowed"),
    ("not-available", "Value <NA> here", "raw HTML is not allowed"),
    ("attachment", "See <a rel=\"attachment\" href=\"file:///etc/passwd\">this</a>", "raw HTML is not allowed"),
    ("javascript-link", "See [this](javascript:alert(1))", "link target 'javascript:alert(1)' must be an http(s) URL"),
    ("data-link", "See [this](data:text/html;base64,PHNjcmlwdD4=)", "must be an http(s) URL"),
    ("file-link", "See [this](file:///etc/passwd)", "link target 'file:///etc/passwd' must be an http(s) URL"),
    ("autolink", "See <javascript:alert(1)>", "link target 'javascript:alert(1)' must be an http(s) URL"),
    ("image", "See ![x](https://evil.example/x.png)", "inline images are not allowed"),
]

CH1 = "chapters/01-context.md"
CH2 = "chapters/02-flows.md"


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


# Where a text field is written: (file, text to replace, field name in the message).
FIELDS = [
    ("report.yaml", "This fixture stands in for a real report", "introduction"),
    (CH1, "Five states share the basin", "key_points[1]"),
    (CH1, "Meetings of the basin commission", "figure.caption"),
    (CH1, "Compiled from the commission's records", "figure.source"),
    (CH2, "Gauging stations.", "table.caption"),
    (CH2, "Upper gauge", "row 1: name"),
    ("data/states.yaml", "Upstream A", "row 1: state"),
]


@pytest.mark.parametrize("payload", HOSTILE, ids=[p[0] for p in HOSTILE])
@pytest.mark.parametrize("where", FIELDS, ids=[f[2] for f in FIELDS])
def test_every_text_field_refuses_markup_and_unsafe_links(content, where, payload):
    relative, anchor, field = where
    _, text, message = payload
    path = content / relative
    line = line_of(path, anchor)
    # Cells sit in YAML flow mappings: write the payload as a quoted YAML (JSON) string there.
    replace(path, anchor, json.dumps(text) if field.startswith("row") else text)
    with pytest.raises(ContentError) as caught:
        load_report(content)
    found = [str(p) for p in caught.value.problems]
    wanted = [f for f in found if f.startswith(f"content/{relative}:") and f": {field}: " in f and message in f]
    assert wanted, found
    # The line is the field's own (the introduction is a block: its text starts on the next line).
    assert any(f.startswith(f"content/{relative}:{line}:") or f.startswith(f"content/{relative}:{line - 1}:")
               for f in wanted), found


def test_a_full_build_with_markup_in_a_caption_fails_and_writes_nothing(content, tmp_path):
    replace(content / CH1, "Meetings of the basin commission", "Meetings <script>alert(1)</script>")
    out = tmp_path / "out"
    result = run_cli("--content", str(content), "--out", str(out), "-q")
    assert result.exit_code == 1
    assert "figure.caption: raw HTML is not allowed" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<NA>",
                                  "[x](javascript:alert(1))", "<javascript:alert(1)>", "[x](data:text/html,hi)"])
def test_the_renderer_never_emits_markup_it_did_not_make(text):
    # Defence in depth: even text that skipped the scan is rendered as text, links are dropped.
    report, _ = load_report(MINIMAL)
    tokens = make_parser().parseInline(text, {})[0].children
    html = Renderer(report, Style()).inline(Inline(text, tuple(tokens)), "x")
    assert "<" not in html, html


# --- images ------------------------------------------------------------------------------

def png(width: int, height: int) -> bytes:
    """A valid PNG of one colour (built by hand so the header can claim any size)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\0" + b"\x00\x66\xcc" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


GOOD_SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
            b'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="10" height="10">'
            b'<defs><linearGradient id="g"><stop offset="0"/></linearGradient></defs>'
            b'<metadata/><rect width="10" height="10" fill="url(#g)" inkscape:label="box"/>'
            b'<use href="#g"/><text x="1" y="9">A</text></svg>')

BAD_SVGS = [
    ("script", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "<script>"),
    ("onload", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>', "'onload'"),
    ("onclick", b'<svg xmlns="http://www.w3.org/2000/svg"><rect onclick="alert(1)"/></svg>', "'onclick'"),
    ("javascript-link", b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
     b'<a xlink:href="javascript:alert(1)"><rect/></a></svg>', "javascript:alert(1)"),
    ("external-use", b'<svg xmlns="http://www.w3.org/2000/svg"><use href="https://evil.example/x.svg#a"/></svg>',
     "https://evil.example"),
    ("external-image", b'<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>',
     "file:///etc/passwd"),
    ("foreign-object", b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div xmlns="http://www.w3.org/1999/'
     b'xhtml">x</div></foreignObject></svg>', "<foreignObject>"),
    ("html-script", b'<svg xmlns="http://www.w3.org/2000/svg"><h:script xmlns:h="http://www.w3.org/1999/xhtml">'
     b'alert(1)</h:script></svg>', "<script>"),
    ("animate-href", b'<svg xmlns="http://www.w3.org/2000/svg"><a><set attributeName="href" '
     b'to="javascript:alert(1)"/></a></svg>', "<set>"),
    ("style-import", b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://evil.example/a.css);'
     b'</style></svg>', "loads or runs something"),
    ("xsl-stylesheet", b'<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="data:text/xsl;base64,PHg+"?>'
     b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "processing instructions"),
    ("css-stylesheet-pi", b'<?xml-stylesheet type="text/css" href="https://evil.example/a.css"?>'
     b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "processing instructions"),
    ("style-with-child", b'<svg xmlns="http://www.w3.org/2000/svg"><style><g/>@import url(https://evil.example/a.css);'
     b'</style></svg>', "may hold only text"),
    ("css-escaped-import", b'<svg xmlns="http://www.w3.org/2000/svg"><style>@\\69mport "https://evil.example/";'
     b'</style></svg>', "loads or runs something"),
    ("css-escaped-url", b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: u\\72l(https://evil.example/p)"/>'
     b'</svg>', "https://evil.example/p"),
    ("image-set", b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: image-set(\'https://evil.example/i\' 1x)"/>'
     b'</svg>', "loads or runs something"),
    ("style-url", b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: url(https://evil.example/p)"/></svg>',
     "https://evil.example/p"),
    ("entities", b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
     b'<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>', "entity"),
    ("external-entity", b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>', "entity"),
    ("not-svg-root", b'<html xmlns="http://www.w3.org/1999/xhtml"><svg/></html>', "not a PNG, JPEG or SVG"),
]


def use_image(content: Path, name: str, data: bytes) -> Path:
    (content / "images" / name).write_bytes(data)
    replace(content / CH2, "src: images/basin.png", f"src: images/{name}")
    return content / CH2


@pytest.mark.parametrize("case", BAD_SVGS, ids=[c[0] for c in BAD_SVGS])
def test_svg_with_anything_active_is_refused(content, case):
    _, data, message = case
    chapter = use_image(content, "map.svg", data)
    with pytest.raises(ContentError) as caught:
        load_report(content)
    line = line_of(chapter, "src: images/map.svg")
    found = [str(p) for p in caught.value.problems]
    assert any(f.startswith(f"content/{CH2}:{line}: figure.src: images/map.svg: ") and message in f
               for f in found), found


def test_a_static_svg_from_a_drawing_program_is_accepted(content):
    use_image(content, "map.svg", GOOD_SVG)
    report, _ = load_report(content)
    assert [a.media_type for a in report.assets if a.name == "images/map.svg"] == ["image/svg+xml"]


@pytest.mark.parametrize("name,data,message", [
    ("map.png", GOOD_SVG, "holds a SVG image but its name ends '.png'"),
    ("map.svg", png(4, 4), "holds a PNG image but its name ends '.svg'"),
    ("map.jpg", png(4, 4), "holds a PNG image but its name ends '.jpg'"),
    ("map.png", b"just some text, not an image", "not a PNG, JPEG or SVG image"),
    ("map.gif", b"GIF89a....", "unsupported image type '.gif'"),
    ("map.png", png(4, 4)[:60], "cannot be decoded"),
    ("map.png", png(40, 40)[:70], "cannot be decoded"),
    ("map.png", png(13_000, 1), "exceeds the limit"),
    ("map.png", png(7000, 7000)[:400], "exceeds the limit"),  # the header alone claims 49 Mpx
])
def test_images_are_typed_by_content_and_bounded(content, name, data, message):
    use_image(content, name, data)
    with pytest.raises(ContentError) as caught:
        load_report(content)
    assert any(message in str(p) for p in caught.value.problems), caught.value.problems


# --- files: links, special files, unused files ---------------------------------------------

@pytest.mark.parametrize("name", ["report.yaml", "references.yaml", "glossary.yaml", CH1, "data/states.yaml"])
def test_a_link_to_a_file_outside_the_content_is_refused(content, tmp_path, name):
    secret = tmp_path / "secret.yaml"
    secret.write_bytes((content / name).read_bytes().replace(b"Fixture", b"SECRET", 1))
    (content / name).unlink()
    (content / name).symlink_to(secret)
    with pytest.raises(ContentError) as caught:
        load_report(content)
    assert any("points outside the content folder" in str(p) and name in str(p) for p in caught.value.problems), \
        caught.value.problems


def test_a_link_inside_the_content_folder_is_followed(content):
    (content / "data" / "states-link.yaml").symlink_to("states.yaml")
    replace(content / CH1, "data: data/states.yaml", "data: data/states-link.yaml")
    report, _ = load_report(content)
    assert "data/states.yaml" in dict(report.sources)


@pytest.mark.parametrize("special", ["fifo", "dev-zero", "directory"])
def test_special_files_are_refused_without_hanging(content, special):
    target = content / "data" / "states.yaml"
    target.unlink()
    if special == "fifo":
        os.mkfifo(target)
    elif special == "dev-zero":
        target.symlink_to("/dev/zero")
    else:
        target.mkdir()
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--content", str(content), "--out",
                             str(content.parent / "out"), "web"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "data/states.yaml" in result.stderr and "Traceback" not in result.stderr
    assert not (content.parent / "out").exists()


def test_the_up_to_date_check_reads_only_the_files_the_report_uses(content, tmp_path):
    out = tmp_path / "out"
    assert run_cli("--content", str(content), "--out", str(out), "-q", "web").exit_code == 0
    # Files the report does not use: a pipe that would block any reader, a link to a secret.
    os.mkfifo(content / "notes.fifo")
    (content / "shadow").symlink_to("/etc/shadow")
    (content / "zero").symlink_to("/dev/zero")
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--content", str(content), "--out", str(out),
                             "web"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Up to date" in result.stderr
    # And a change to a file the report uses is still seen.
    replace(content / "data" / "states.yaml", "Upstream A", "Upstream Alpha")
    result = run_cli("--content", str(content), "--out", str(out), "web")
    assert result.exit_code == 0 and "Up to date" not in result.output
    assert "Upstream Alpha" in (out / "read" / "01-context.html").read_text(encoding="utf-8")


def test_an_escaped_angle_bracket_is_text_in_every_format(content, tmp_path):
    # The error message's advice works: \< gives a literal "<" wherever text is shown.
    replace(content / CH2, "Upper gauge", json.dumps("Value \\<NA> here"))
    replace(content / CH1, "Meetings of the basin commission", "Meetings \\<NA> of the commission")
    out = tmp_path / "out"
    assert run_cli("--content", str(content), "--out", str(out), "-q", "web", "epub").exit_code == 0
    assert "Value &lt;NA&gt; here" in (out / "read" / "02-flows.html").read_text(encoding="utf-8")
    assert "Meetings &lt;NA&gt; of" in (out / "read" / "01-context.html").read_text(encoding="utf-8")
    import zipfile

    with zipfile.ZipFile(next(out.glob("*.epub"))) as book:
        assert "Value &lt;NA&gt; here" in book.read("EPUB/02-flows.xhtml").decode()


# --- text the publisher makes from content: labels, messages -----------------------------------

def test_cross_reference_labels_are_text_in_every_format(content, tmp_path):
    # A cross-reference to an unnumbered heading or a front section is labelled with its title.
    replace(content / "front" / "summary.md", "title: Executive summary",
            "title: 'Summary<script>alert(1)</script><a href=\"javascript:alert(2)\">x</a>'")
    with (content / "chapters" / "03-outlook.md").open("a", encoding="utf-8") as handle:
        handle.write("\n#### `<script>alert(3)</script>` {#sec:h4}\n\nSee @sec:h4 and @ch:summary.\n")
    replace(content / "report.yaml", "This fixture stands in", "See @sec:h4 and @ch:summary. This fixture stands in")
    out = tmp_path / "out"
    assert run_cli("--content", str(content), "--out", str(out), "-q").exit_code == 0
    import zipfile

    texts = {p.name: p.read_text(encoding="utf-8") for p in [out / "index.html", *(out / "read").glob("*.html")]}
    with zipfile.ZipFile(next(out.glob("*.epub"))) as book:
        texts.update({n: book.read(n).decode() for n in book.namelist() if n.endswith(".xhtml")})
    for name, text in texts.items():
        assert "<script" not in text and 'href="javascript' not in text, name
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in texts["03-outlook.html"]
    for pdf in out.glob("*.pdf"):
        data = pdf.read_bytes()
        assert b"javascript" not in data.lower() and b"/FileAttachment" not in data, pdf.name


def test_messages_show_control_characters_as_escapes(content):
    # An unknown field named with a terminal escape sequence must not clear or fake the screen.
    with (content / "report.yaml").open("a", encoding="utf-8") as handle:
        handle.write('"\\e[2J\\e[32mBuilt 28 files\\u202e": 1\n')
    result = run_cli("--content", str(content), "--out", str(content.parent / "out"), "--strict")
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "\\x1b[2J\\x1b[32mBuilt 28 files\\u202e: unknown field" in result.output


def test_a_hard_link_is_refused(content, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_bytes((content / "data" / "states.yaml").read_bytes())
    (content / "data" / "states.yaml").unlink()
    os.link(secret, content / "data" / "states.yaml")
    with pytest.raises(ContentError) as caught:
        load_report(content)
    assert [str(p) for p in caught.value.problems] == [
        "content/data/states.yaml: file is a hard link (the file has other names): copy the file instead"]


def test_an_editions_archive_that_is_a_link_is_refused(content, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (content.parent / "editions").symlink_to(elsewhere)
    result = run_cli("release", "--content", str(content), "--out", str(tmp_path / "out"), "-q")
    assert result.exit_code == 1
    assert "the editions archive is a symbolic link" in result.output
    assert list(elsewhere.iterdir()) == [] and not (tmp_path / "out").exists()


def test_a_git_file_may_not_point_at_another_repository(content, tmp_path):
    from publisher.revision import content_digest, revision

    other = tmp_path / "other"
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    subprocess.run(["git", "-C", str(other), "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q",
                    "--allow-empty", "-m", "x"], check=True)
    (content / ".git").write_text(f"gitdir: {other / '.git'}\n", encoding="utf-8")
    sources = load_report(content)[0].sources
    assert revision(content, sources) == f"sha256:{content_digest(sources)}"
