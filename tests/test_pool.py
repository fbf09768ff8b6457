"""The render processes (publisher/pool.py): jobs in, layouts and files out, errors reported,
the pool shrunk at the end of a build."""

from __future__ import annotations

import time

import pytest

from publisher.errors import RenderError
from publisher.pool import Job, Layout, Pool, Written, workers_wanted


def _render(job: Job, on_layout) -> Written:
    if job.html == "fail":
        raise ValueError("a part that cannot be laid out")
    on_layout(Layout(len(job.html), job.first, {"x": 0}))
    return Written(job.html.encode())


def test_jobs_are_laid_out_and_written_in_any_number_of_processes():
    pool = Pool(_render, 3)
    try:
        tickets = [pool.submit(Job(str(i), "screen", "a" * i, "x.pdf", first=i)) for i in range(1, 8)]
        assert [t.layout.result(30).pages for t in tickets] == list(range(1, 8))
        assert [t.written.result(30).data for t in tickets] == [b"a" * i for i in range(1, 8)]
    finally:
        pool.close()


def test_a_failing_job_is_an_error_naming_its_file_and_the_pool_goes_on():
    pool = Pool(_render, 2)
    try:
        bad = pool.submit(Job("k", "screen", "fail", "report-print.pdf"))
        with pytest.raises(RenderError, match="report-print.pdf: ValueError: a part that cannot be laid out"):
            bad.written.result(30)
        assert pool.submit(Job("k2", "screen", "ok", "x.pdf")).written.result(30).data == b"ok"
    finally:
        pool.close()


def test_shrinking_ends_the_idle_processes_and_the_rest_still_work():
    pool = Pool(_render, 3)
    try:
        pool.shrink(1)
        for _ in range(100):
            if sum(p.is_alive() for p in pool.processes) == 1:
                break
            time.sleep(0.05)
        assert sum(p.is_alive() for p in pool.processes) == 1
        assert pool.submit(Job("k", "screen", "abc", "x.pdf")).written.result(30).data == b"abc"
    finally:
        pool.close()


def test_the_number_of_processes_follows_the_cores_unless_told(monkeypatch):
    monkeypatch.delenv("PUBLISHER_WORKERS", raising=False)
    assert workers_wanted() >= 1
    monkeypatch.setenv("PUBLISHER_WORKERS", "5")
    assert workers_wanted() == 5
    monkeypatch.setenv("PUBLISHER_WORKERS", "none")
    assert workers_wanted() >= 1


def test_the_workers_end_when_the_build_process_is_killed(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    script = tmp_path / "build.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path.insert(0, {str(__import__('tests.conftest').conftest.ROOT)!r})\n"
        "from publisher.pool import Pool, Written\n"
        "pool = Pool(lambda job, on_layout: Written(b''), 2)\n"
        "print(' '.join(str(p.pid) for p in pool.processes), flush=True)\n"
        "time.sleep(60)\n", encoding="utf-8")
    build = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    workers = [int(pid) for pid in build.stdout.readline().split()]
    build.send_signal(signal.SIGKILL)
    build.wait()
    build.stdout.close()
    for _ in range(100):
        alive = []
        for pid in workers:
            try:
                os.kill(pid, 0)
                with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                    if handle.read().split(") ", 1)[1][0] != "Z":
                        alive.append(pid)
            except (ProcessLookupError, FileNotFoundError):
                pass
        if not alive:
            break
        time.sleep(0.05)
    assert alive == [], "render processes outlived the build"
