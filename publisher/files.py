"""Reading untrusted files: only regular files, never through a final symlink, within a size limit.

Everything under the content folder and the editions archive is untrusted. A name there may
be a symbolic link to a secret, a named pipe that blocks a reader for ever, or a device such
as /dev/zero that never ends; `read_regular` refuses all three before reading a byte.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


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


def regular_files(root: Path) -> list[Path]:
    """Every regular file under `root`, sorted, without following symbolic links.

    Links are listed too (as themselves, not their targets), so that a digest over the list can
    notice a changed link without ever reading what it points at; sockets, pipes and devices
    are left out.
    """
    found = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs.sort()
        for name in names:
            path = Path(folder) / name
            mode = path.lstat().st_mode
            if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
                found.append(path)
    return sorted(found)
