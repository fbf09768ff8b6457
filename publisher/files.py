"""Reading untrusted files: only regular files, never through a final symlink, within a size limit.

Everything under the content folder and the editions archive is untrusted. A name there may
be a symbolic link to a secret, a named pipe that blocks a reader for ever, or a device such
as /dev/zero that never ends; `read_regular` refuses all three before reading a byte.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from .limits import MAX_PATH_DEPTH


class UnsafeFile(Exception):
    """A file that may not be read; the message completes "<the file> …" ("is not a regular file")."""


def read_regular(path: Path | str, limit: int, dir_fd: int | None = None) -> bytes:
    """The bytes of the regular file `path` (relative to the open folder `dir_fd`, if given),
    at most `limit` bytes.

    The file is checked with lstat before it is opened (a symbolic link, a hard link, a pipe, a
    device or a socket is refused), opened with O_NOFOLLOW and O_NONBLOCK (so that nothing swapped in can
    be followed or block the build), and checked again on the open descriptor (the same
    file, still regular). Callers that allow links inside a folder resolve them first and
    check where they lead. Raises UnsafeFile.
    """
    try:
        before = os.stat(path, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        raise UnsafeFile("does not exist") from None
    except OSError as exc:
        raise UnsafeFile(f"cannot be read ({exc.strerror})") from None
    if stat.S_ISLNK(before.st_mode):
        raise UnsafeFile("is a symbolic link, not a regular file")
    if not stat.S_ISREG(before.st_mode):
        raise UnsafeFile("is not a regular file")
    if before.st_nlink > 1:
        # A hard link has no direction: the other name may be a file outside the folder.
        raise UnsafeFile("is a hard link (the file has other names): copy the file instead")
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError as exc:
        raise UnsafeFile(f"cannot be read ({exc.strerror})") from None
    try:
        opened = os.fstat(handle)
        if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (before.st_dev, before.st_ino):
            raise UnsafeFile("was replaced while it was being read")
        if opened.st_size > limit:
            raise UnsafeFile(f"is larger than the limit of {limit} bytes")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(handle, min(1 << 20, limit + 1 - size))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
        raise UnsafeFile(f"is larger than the limit of {limit} bytes")  # it grew while it was read
    except OSError as exc:
        raise UnsafeFile(f"cannot be read ({exc.strerror})") from None
    finally:
        os.close(handle)


def resolved(path: Path) -> Path:
    """`path` with every symbolic link resolved (it need not exist).

    Raises UnsafeFile for a loop of links (RuntimeError or ELOOP, depending on the Python
    version) and for a name the system refuses (too long, a NUL byte), instead of letting them
    escape as a traceback.
    """
    try:
        return path.resolve()
    except RuntimeError:
        raise UnsafeFile("is a loop of symbolic links") from None
    except (OSError, ValueError) as exc:
        reason = "is a loop of symbolic links" if getattr(exc, "errno", None) == errno.ELOOP else \
            f"cannot be resolved ({getattr(exc, 'strerror', None) or exc})"
        raise UnsafeFile(reason) from None


def walk(root: Path, max_depth: int = MAX_PATH_DEPTH, hidden: bool = True) -> Iterator[tuple[Path, list[str]]]:
    """Every real folder under `root` (root itself first), with the sorted names of its entries
    that are not folders; without following symbolic links and without recursion.

    Folders more than `max_depth` levels below `root` are not entered (os.walk recurses once
    per level: a few thousand nested folders would overflow Python's stack). `hidden`: whether
    folders whose names start with "." are entered. Folders that cannot be listed are skipped.
    """
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue
        files, folders = [], []
        for entry in entries:
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_folder = False
            if not is_folder:
                files.append(entry.name)
            elif depth < max_depth and (hidden or not entry.name.startswith(".")):
                folders.append(Path(entry.path))
        yield folder, files
        stack.extend((sub, depth + 1) for sub in reversed(folders))


def regular_files(root: Path, max_depth: int = MAX_PATH_DEPTH) -> list[Path]:
    """Every regular file under `root`, sorted, without following symbolic links, at most
    `max_depth` folders down (see `walk`).

    Links are listed too (as themselves, not their targets), so that a digest over the list can
    notice a changed link without ever reading what it points at; sockets, pipes and devices
    are left out.
    """
    found = []
    for folder, names in walk(root, max_depth):
        for name in names:
            path = folder / name
            try:
                mode = path.lstat().st_mode
            except OSError:
                continue
            if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
                found.append(path)
    return sorted(found)


def file_digest(path: Path, limit: int) -> bytes:
    """SHA-256 of a regular file's bytes, read in chunks of 1 MiB; for a file over `limit` bytes
    (a 15 TB sparse file fits in a folder) a digest of its size and modification time instead, so
    that neither memory nor time depends on what a folder holds. Does not follow a final link
    or wait on a FIFO; b"unreadable" if it cannot be opened."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return b"unreadable"
    digest = hashlib.sha256()
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            return b"not a file"
        if info.st_size > limit:
            digest.update(f"large:{info.st_size}:{info.st_mtime_ns}".encode())
            return digest.digest()
        size = 0
        while size <= limit and (chunk := os.read(handle, 1 << 20)):
            digest.update(chunk)
            size += len(chunk)
    except OSError:
        return b"unreadable"
    finally:
        os.close(handle)
    return digest.digest()
