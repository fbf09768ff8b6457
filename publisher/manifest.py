"""Incremental builds: a manifest of input digests per output, kept in OUT/.build/.

Hashing the inputs takes milliseconds, so a build can tell that nothing changed before it
loads the content or imports a renderer. An output is stale when any input it depends on
changed, when it is missing, or when the code changed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .output import write_atomic

PROJECT = Path(__file__).resolve().parent.parent
CODE = [PROJECT / "publisher", PROJECT / "pyproject.toml"]
TEMPLATES = PROJECT / "templates"
STYLES = PROJECT / "styles"

# What each output reads besides the content and the code.
DEPENDS = {
    "pdf": [TEMPLATES / "print", TEMPLATES / "partials", STYLES / "fonts.css", STYLES / "common.css",
            STYLES / "print.css", STYLES / "press.css", STYLES / "fonts"],
    "epub": [TEMPLATES / "epub", TEMPLATES / "partials", STYLES / "fonts.css", STYLES / "common.css",
             STYLES / "epub.css", STYLES / "fonts"],
    "web": [TEMPLATES / "web", TEMPLATES / "partials", STYLES / "web.css", STYLES / "fonts"],
}


def digest_paths(paths: list[Path]) -> str:
    """SHA-256 over the names and bytes of every file under the paths, in a stable order."""
    digest = hashlib.sha256()
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            if path.suffix == ".pyc" or not path.exists():
                continue
            digest.update(str(path.relative_to(root.parent)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def input_digests(content: Path, archive: Path, extra: dict[str, list[Path]]) -> dict[str, str]:
    """One digest per output: its own inputs plus the content, the editions archive and the code."""
    shared = digest_paths([content, *CODE] + ([archive] if archive.exists() else []))
    return {target: hashlib.sha256((shared + digest_paths(DEPENDS[target] + extra.get(target, []))).encode())
            .hexdigest() for target in DEPENDS}


def _read(out: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads((out / ".build" / "manifest.json").read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def load(out: Path) -> dict[str, str]:
    """The input digest each output was last built from."""
    return {t: str(v.get("digest", "")) for t, v in _read(out).items() if isinstance(v, dict)}


def outputs_exist(out: Path, target: str) -> bool:
    """Whether every file the target wrote last time is still there."""
    entry = _read(out).get(target)
    files = entry.get("files") if isinstance(entry, dict) else None
    return isinstance(files, list) and bool(files) and all((out / str(f)).exists() for f in files)


def save(out: Path, digests: dict[str, str], files: dict[str, list[Path]]) -> None:
    """Record the digests and files of the targets just built."""
    data = _read(out)
    for target, digest in digests.items():
        data[target] = {"digest": digest, "files": sorted(p.as_posix() for p in files.get(target, []))}
    write_atomic(out / ".build" / "manifest.json", json.dumps(data, indent=1, sort_keys=True))
