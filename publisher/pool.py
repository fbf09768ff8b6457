"""The render processes: a fixed number of forked workers, each laying out and writing one
WeasyPrint document (a `Job`: a part of an edition, or the cover wrap) at a time.

A worker tells its job's layout (`Layout`: page count, first folio, where each element falls,
the preflight findings) as soon as the layout is done and before the (slow) write, so that the
next part of the edition can be laid out on another core meanwhile; then the written PDF
(`Written`). Workers are forked once per build, after WeasyPrint and the editions' stylesheets
are loaded in the parent (shared, not loaded again), and keep their stylesheets and fonts from
one job to the next. How many: one per core (`os.sched_getaffinity`) unless the caller says.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from .errors import RenderError


@dataclass(frozen=True)
class Job:
    """One document to lay out (and write): `key` names it (its cache key), `edition` is its
    format's key, `first` the number of the page it starts on (for the preflight's page numbers)."""

    key: str
    edition: str
    html: str
    name: str  # the file the job's pages end up in (a printer's file's DocumentID comes from it)
    first: int = 1
    write: bool = True
    inspect: bool = True  # run the preflight on its layout (not on a draft, which is laid out again)
    joined: Joining | None = None  # set: the job joins written parts into one file instead (html unused)


@dataclass(frozen=True)
class Joining:
    """What a joining job joins: the parts' PDFs in order, whether a blank page goes before each,
    and the multiple of pages the whole is padded to (stitch.stitch's arguments)."""

    parts: tuple[bytes, ...]
    blanks_before: tuple[bool, ...]
    pad_to: int
    press: bool


@dataclass(frozen=True)
class Layout:
    """A job's layout: its page count, the folio of its first page (`first`, one more than
    asked when the document's first element opens on the other side), each element id → its
    page, counted from 0 for the first, and the preflight's findings."""

    pages: int
    first: int
    anchors: dict[str, int]
    findings: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Written:
    """A job's PDF (empty when the job does not write) and the renderer's warnings."""

    data: bytes
    warnings: tuple[str, ...] = ()


@dataclass
class Ticket:
    """What the parent holds for a job it submitted: its layout and its file, to wait for."""

    job: Job
    layout: Future = field(default_factory=Future)
    written: Future = field(default_factory=Future)


Render = Callable[[Job, Callable[[Layout], None]], Written]
_WAKE = "wake"  # put in the queue so that the dispatcher looks at `Pool.keep` again


def workers_wanted() -> int:
    """The number of cores this process may run on (at least 1); PUBLISHER_WORKERS overrides it."""
    wanted = os.environ.get("PUBLISHER_WORKERS", "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _serve(render: Render, pipe: Connection, inherited: list[Connection]) -> None:
    """A worker's loop: a job in, its layout and its file (or its error) out, until None — or
    until the build process is gone (its end of the pipe closed: a killed build leaves no worker
    behind). `inherited`: the build's ends of the pipes, which the fork copied: closed here, so
    that the build's end is closed when the build ends."""
    for end in inherited:
        end.close()
    while True:
        try:
            job = pipe.recv()
        except (EOFError, OSError):
            break
        if job is None:
            break
        try:
            written = render(job, lambda layout: pipe.send(("layout", layout)))
            pipe.send(("written", written))
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the parent
            pipe.send(("error", f"{type(exc).__name__}: {exc}"))
    pipe.close()


class Pool:
    """`count` forked workers running `render` on the jobs given to `submit`, first come first
    served; `close` ends them. Fork before starting threads in the parent (the caller's duty)."""

    def __init__(self, render: Render, count: int) -> None:
        context = multiprocessing.get_context("fork")
        self.pipes: list[Connection] = []
        self.processes = []
        gc.freeze()  # the workers' collector never touches (and so copies) the parent's objects
        try:
            for _ in range(count):
                mine, theirs = context.Pipe(duplex=True)
                process = context.Process(target=_serve, args=(render, theirs, [*self.pipes, mine]), daemon=True)
                process.start()
                theirs.close()
                self.pipes.append(mine)
                self.processes.append(process)
        finally:
            gc.unfreeze()
        self.keep = count  # how many workers to keep: fewer once `shrink` is called
        self.waiting: queue.SimpleQueue[Ticket | str | None] = queue.SimpleQueue()
        self.dispatcher = threading.Thread(target=self._dispatch, daemon=True)
        self.dispatcher.start()

    def submit(self, job: Job) -> Ticket:
        ticket = Ticket(job)
        self.waiting.put(ticket)
        return ticket

    def shrink(self, count: int) -> None:
        """Keep only `count` workers (at least one): the others end as soon as they are idle, and
        their memory with them (the last jobs of a build need fewer)."""
        self.keep = max(1, count)
        self.waiting.put(_WAKE)

    def _dispatch(self) -> None:
        idle = list(self.pipes)
        busy: dict[Connection, Ticket] = {}
        closing = False
        while not closing or busy:
            while idle and len(idle) + len(busy) > self.keep:
                retired = idle.pop(0)
                try:
                    retired.send(None)
                except OSError:
                    pass
            while idle and not closing:
                try:
                    ticket = self.waiting.get(timeout=0.02 if busy else None)
                except queue.Empty:
                    break
                if ticket is None:
                    closing = True
                    break
                if isinstance(ticket, str):  # woken to retire workers
                    break
                pipe = idle.pop()
                pipe.send(ticket.job)
                busy[pipe] = ticket
            for pipe in wait(list(busy), timeout=0.02) if busy else []:
                ticket = busy[pipe]
                try:
                    kind, value = pipe.recv()
                except (EOFError, OSError):
                    error = RenderError(f"the PDF renderer stopped while making {ticket.job.name}")
                    for future in (ticket.layout, ticket.written):
                        if not future.done():
                            future.set_exception(error)
                    del busy[pipe]
                    continue
                if kind == "layout":
                    ticket.layout.set_result(value)
                    continue
                if kind == "error":
                    error = RenderError(f"{ticket.job.name}: {value}")
                    for future in (ticket.layout, ticket.written):
                        if not future.done():
                            future.set_exception(error)
                else:
                    ticket.written.set_result(value)
                del busy[pipe]
                idle.append(pipe)

    def close(self) -> None:
        """Let the running jobs end, then end the workers."""
        self.waiting.put(None)
        self.dispatcher.join()
        for pipe in self.pipes:
            try:
                pipe.send(None)
            except OSError:  # a worker retired by `shrink`
                pass
        for process in self.processes:
            process.join(5)
            if process.is_alive():
                process.terminate()
                process.join()

    def stop(self) -> None:
        """End the workers now, whatever they are doing."""
        for process in self.processes:
            if process.is_alive():
                process.terminate()
                process.join()
        self.waiting.put(None)
