"""Reading untrusted files: only regular files, never through a final symlink, within a size limit.

Everything under the content folder and the editions archive is untrusted. A name there may
be a symbolic link to a secret, a named pipe that blocks a reader for ever, or a device such
as /dev/zero that never ends; `read_regular` refuses all three before reading a byte.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class UnsafeFile(Exception):
    """A file that may not be read: not a regular file, a link, too large, or unreadable."""


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of `path`, at most `limit` bytes long.

    The last component must not be a symbolic link (callers resolve links themselves and
    check that the target lies where it may); the file must be a regular file. Opened with
    O_NONBLOCK so that a named pipe cannot hang the build, and checked with fstat on the open
    descriptor so that nothing can be swapped in between the check and the read.

    Raises UnsafeFile with a message fit for a `path: message` line.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeFile("is a symbolic link: content files must be regular files") from None
        raise UnsafeFile(f"cannot read file: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile("is not a regular file")
        if info.st_size > limit:
            raise UnsafeFile(f"file is larger than the limit of {limit} bytes")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # the file grew while it was read
            raise UnsafeFile(f"file is larger than the limit of {limit} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise UnsafeFile(f"cannot read file: {exc.strerror}") from None
    finally:
        os.close(fd)


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
