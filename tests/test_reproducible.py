"""Identical bytes anywhere: the same content builds into byte-identical files whatever the time
zone, locale, umask, hash seed or output path, and whether or not the system has HarfBuzz's
subsetter (libharfbuzz-subset), which WeasyPrint would otherwise use for the PDFs' fonts; the
toolchain that is left to make a difference is recorded; and what the renderer does to save
memory leaves the PDFs as they were."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from publisher import pdf
from publisher.formats import asset_href
from publisher.templates import make_env
from publisher.toolchain import FIELDS, PACKAGES
from tests.conftest import MINIMAL, ROOT

# Files of the build's own state that legitimately differ: the record of the toolchain (which
# says whether hb-subset was there), the manifest of input digests (which include the
# toolchain), caches and stages.
PRIVATE = ("manifest.json", "build-info.json")


def digests(out: Path) -> dict[str, str]:
    """SHA-256 of every output file, by path inside the output folder."""
    found = {}
    for path in sorted(out.rglob("*")):
        relative = path.relative_to(out)
        if not path.is_file() or (relative.parts[0] == ".build" and (
                relative.name in PRIVATE or relative.parts[1] in ("cache",) or relative.parts[1].startswith("stage-"))):
            continue
        found[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _hb_subset_library() -> Path | None:
    """The file of libharfbuzz-subset that the dynamic loader would load, if any."""
    try:
        listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        listing = ""
    for line in listing.splitlines():
        name, _, path = line.strip().partition(" => ")
        if name.startswith("libharfbuzz-subset.so.0") and Path(path).exists():
            return Path(path).resolve()
    return None


def _without_hb_subset(command: list[str]) -> list[str]:
    """The command run in a private mount namespace where libharfbuzz-subset is /dev/null, or
    pytest.skip saying why that cannot be done here."""
    library = _hb_subset_library()
    if library is None:
        pytest.skip("libharfbuzz-subset is not installed (ldconfig -p does not list it): every build here "
                    "already runs without it, so there is nothing to hide and compare")
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("cannot hide libharfbuzz-subset: the unshare command (util-linux) is not installed")
    # As root a mount namespace is enough; otherwise a user namespace maps us to root in it.
    flags = ["-m"] if os.geteuid() == 0 else ["-r", "-m"]
    probe = subprocess.run([unshare, *flags, "sh", "-c", f"mount --bind /dev/null {library}"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot hide libharfbuzz-subset: `unshare {' '.join(flags)}` with a bind mount over {library} "
                    f"failed here ({probe.stderr.strip() or probe.returncode}); it needs root or user namespaces")
    script = 'mount --bind /dev/null "$0" && exec "$@"'
    return [unshare, *flags, "sh", "-c", script, str(library), *command]


def _build(content: Path, out: Path, env: dict[str, str] | None = None, umask: int = 0o022,
           wrap=lambda command: command) -> Path:
    command = [sys.executable, str(ROOT / "build.py"), "--content", str(content), "--out", str(out), "-q",
               "--strict"]
    environment = {**os.environ, **(env or {})}
    result = subprocess.run(wrap(command), env=environment, capture_output=True, text=True,
                            preexec_fn=lambda: os.umask(umask), cwd=content.parent)
    assert result.returncode == 0, result.stderr
    return out


def _toolchain(out: Path) -> dict[str, object]:
    return json.loads((out / ".build" / "build-info.json").read_text(encoding="utf-8"))["toolchain"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture built in an ordinary environment."""
    folder = tmp_path_factory.mktemp("reference")
    shutil.copytree(MINIMAL, folder / "content")
    return _build(folder / "content", folder / "dist", {"TZ": "UTC", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"})


VARIANTS = {
    # Far from UTC, and a locale without UTF-8 (the interpreter may not coerce it), files
    # created with a restrictive umask.
    "timezone-locale-umask": dict(env={"TZ": "Pacific/Kiritimati", "LANG": "C", "LC_ALL": "POSIX",
                                       "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}, umask=0o077),
    # Other hash seeds (set and dict order of strings), and other content and output folders.
    "hashseed-paths": dict(env={"PYTHONHASHSEED": "4242"}, paths=("elsewhere/con tent ü", "deeper/still/öut")),
    "other-timezone-locale-hashseed": dict(env={"TZ": "America/St_Johns", "LANG": "de_DE.ISO-8859-1",
                                                "PYTHONHASHSEED": "random"}, umask=0o002),
    # No fonts on the system at all: nothing may fall back to, or be drawn in, a system font.
    "no-system-fonts": dict(no_system_fonts=True),
    # WeasyPrint subsets fonts with hb-subset when the library is there, with fontTools if not.
    "no-hb-subset": dict(hide_hb_subset=True),
}


@pytest.mark.slow  # six builds of the fixture report
@pytest.mark.parametrize("variant", VARIANTS)
def test_identical_bytes_in_any_environment(variant, reference, tmp_path):
    spec = VARIANTS[variant]
    content_name, out_name = spec.get("paths", ("content", "dist"))
    content = tmp_path / content_name
    shutil.copytree(MINIMAL, content)
    wrap = _without_hb_subset if spec.get("hide_hb_subset") else (lambda command: command)
    env = dict(spec.get("env", {}))
    if spec.get("no_system_fonts"):
        config = tmp_path / "fonts.conf"
        config.write_text(f'<?xml version="1.0"?>\n<fontconfig><cachedir>{tmp_path}/fontconfig</cachedir></fontconfig>\n',
                          encoding="utf-8")
        env["FONTCONFIG_FILE"] = str(config)
    out = _build(content, tmp_path / out_name, env, spec.get("umask", 0o022), wrap)

    expected, found = digests(reference), digests(out)
    assert sorted(found) == sorted(expected)
    differ = [name for name in expected if found[name] != expected[name]]
    assert not differ, f"{variant}: these files differ from the reference build: {differ}"
    # The toolchain is recorded, and the build really ran without hb-subset when it was hidden.
    if spec.get("hide_hb_subset"):
        assert _toolchain(reference)["harfbuzz-subset"] is True
        assert _toolchain(out)["harfbuzz-subset"] is False
    else:
        assert _toolchain(out) == _toolchain(reference)


def test_build_info_records_the_toolchain(fixture_built):
    from importlib import metadata

    toolchain = _toolchain(fixture_built.out)
    assert tuple(toolchain) == tuple(sorted(FIELDS))
    assert isinstance(toolchain["harfbuzz-subset"], bool)
    assert toolchain["python"] == ".".join(map(str, sys.version_info[:3]))
    assert all(toolchain[name] == metadata.version(name) for name in PACKAGES)
    assert all(toolchain[name] != "missing" for name in ("pango", "harfbuzz"))


@pytest.mark.slow  # four renders of the fixture
def test_memory_savings_leave_the_pdfs_as_they_were(fixture_built, tmp_path, monkeypatch):
    """The scoped user-agent stylesheet and the pagination state dropped before the write save a
    third of a render's memory; the PDFs are byte for byte what WeasyPrint makes without them."""
    assert pdf.scoped_user_agent_css() is not None, "WeasyPrint's user-agent stylesheet changed: update _UA_SCOPES"
    report = fixture_built.report
    files = {pdf.CONTENT_ROOT / asset_href(a.name): a.data for a in report.assets}
    made = {}
    for way in ("lean", "as WeasyPrint"):
        if way == "as WeasyPrint":
            from weasyprint.html import UA_STYLESHEET

            monkeypatch.setattr(pdf, "_user_agent_stylesheet", lambda: UA_STYLESHEET)
            monkeypatch.setattr(pdf, "_drop_pagination_state", lambda document: None)
        for edition in ("screen", "print"):
            html = pdf.render_html(report, make_env(), edition)
            target = tmp_path / way / f"{edition}.pdf"
            pdf.render_pdf(html, edition, target, pdf.CONTENT_ROOT, files)
            made.setdefault(edition, []).append(target.read_bytes())
    for edition, (lean, stock) in made.items():
        assert lean == stock, edition
