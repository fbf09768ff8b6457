"""Build benchmark: cold build, raw WeasyPrint baseline, no-op and one-chapter rebuilds, the
PDF editions with one and with two render processes, 4x content, peak memory. Prints a table,
writes JSON, and checks the targets as ratios measured in this one run.

Times are CPU seconds (user + system of the process and every process it started: steadier
than wall time on a shared machine) unless a case says "wall".

Memory is the peak of the whole build: the proportional set size (PSS) summed over the build
process and every process it started (the PDF renderers), sampled from
/proc/<pid>/smaps_rollup while the build runs. PSS counts a page shared by several processes
once in all (a fraction in each), so the sum is what the build takes from the machine; the
largest single process's resident set is shown beside it.

Run it with `python build.py bench` (options: --json PATH, --content DIR).
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
sys.path.insert(0, str(ROOT))
from publisher.formats import FORMATS  # noqa: E402


@dataclass(frozen=True)
class Result:
    """One measured case (seconds, or MB when the case says so), with its target when it has one."""

    case: str
    seconds: float
    target: str = ""
    ok: bool | None = None


@dataclass(frozen=True)
class Run:
    """One `build.py` invocation: wall seconds, CPU seconds of its whole process tree, peak PSS (MB)."""

    wall: float
    cpu: float
    pss: float


def _cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far, theirs included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(*args: str, workers: int | None = None) -> Run:
    """One `build.py` invocation (a fresh interpreter, as an editor runs it), measured: wall and
    CPU seconds, and the peak of its process tree's summed PSS in MB (sampled every 50 ms)."""
    env = {**os.environ, **({"PUBLISHER_WORKERS": str(workers)} if workers else {})}
    cpu = _cpu()
    started = time.perf_counter()
    process = subprocess.Popen([PYTHON, str(ROOT / "build.py"), *args], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], sum(_pss_kib(pid) for pid in _process_tree(process.pid)))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, process.args, stderr=stderr)
    return Run(seconds, _cpu() - cpu, peak[0] / 1024)


def _process_tree(pid: int) -> list[int]:
    """The process and all its descendants (from /proc/<pid>/task/<tid>/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as handle:
                    todo += [int(child) for child in handle.read().split()]
        except OSError:  # it ended meanwhile
            continue
    return found


def _pss_kib(pid: int) -> int:
    """A process's proportional set size in KiB (0 once it has ended)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _peak_rss_mb() -> float:
    """Largest resident set of any finished descendant so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def baseline(content: Path, out: Path) -> float:
    """Raw WeasyPrint, the physical limit of our stack: the CPU seconds of a fresh process that
    imports WeasyPrint and renders and writes the final screen HTML (the page numbers filled in
    from the built edition's page map) with its stylesheets, as `weasyprint` would."""
    prepare = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from publisher.formats import asset_href
from publisher.loader import load_report
from publisher.templates import make_env
from publisher.pdf import final_html
report, _ = load_report(Path({str(content)!r}))
out = Path({str(out)!r})
(out / "final.html").write_text(final_html(report, make_env(), "screen", out / "dist"), encoding="utf-8")
for asset in report.assets:
    (out / asset_href(asset.name)).parent.mkdir(parents=True, exist_ok=True)
    (out / asset_href(asset.name)).write_bytes(asset.data)
"""
    subprocess.run([PYTHON, "-c", prepare], check=True)
    render = f"""
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
fonts = FontConfiguration()
css = [CSS(filename={str(ROOT / "styles")!r} + "/" + n, font_config=fonts)
       for n in {FORMATS["screen"].stylesheets!r}]
HTML(filename={str(out / "final.html")!r}, base_url={str(out)!r} + "/").write_pdf(
    {str(out / "baseline.pdf")!r}, stylesheets=css, font_config=fonts, pdf_variant="pdf/ua-1")
"""
    cpu = _cpu()
    subprocess.run([PYTHON, "-c", render], check=True)
    return _cpu() - cpu


def multiply(content: Path, target: Path, times: int) -> None:
    """A synthetic report: the chapters repeated `times` times, with ids made unique per copy."""
    shutil.copytree(content, target)
    report = (target / "report.yaml").read_text(encoding="utf-8")
    chapters = re.findall(r"^  - (chapters/(\d+)-([a-z0-9-]+)\.md)$", report, re.M)
    entries = []
    for copy in range(1, times):
        for path, number, slug in chapters:
            text = (content / path).read_text(encoding="utf-8")
            text = re.sub(r"((?:sec|fig|tbl):[A-Za-z0-9_-]*[A-Za-z0-9_])", rf"\1-c{copy}", text)
            text = re.sub(r"@ch:([a-z0-9-]+)", rf"@ch:\1-c{copy}", text)
            name = f"chapters/{int(number) + 9 * copy:02d}-{slug}-c{copy}.md"
            (target / name).write_text(text, encoding="utf-8")
            entries.append(f"  - {name}")
    last = chapters[-1][0]
    report = report.replace(f"  - {last}\n", f"  - {last}\n" + "\n".join(entries) + "\n")
    (target / "report.yaml").write_text(report, encoding="utf-8")


def _pdfs(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out.glob("*.pdf"))}


def run(content: Path) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        copy = work / "content"
        shutil.copytree(content, copy)
        out = work / "dist"
        cold = _run("--content", str(copy), "--out", str(out), "-q")
        rss = _peak_rss_mb()
        base = baseline(copy, work)
        results.append(Result("raw WeasyPrint: one process rendering the screen HTML", base))
        results.append(Result("cold build, all outputs", cold.cpu, "≤ 1.5 × baseline", cold.cpu <= 1.5 * base))
        results.append(Result("cold build, all outputs (wall)", cold.wall))
        noop = _run("--content", str(copy), "--out", str(out), "-q")
        results.append(Result("no-op rebuild (wall)", noop.wall, "≤ 0.5 s", noop.wall <= 0.5))
        # A cold start: a fresh process and output folder; what the build keeps from unchanged
        # inputs (drawings, font cuts: OUT/.build/cache) is kept, as "once per input change" asks.
        shutil.copytree(out / ".build" / "cache", work / "fresh" / ".build" / "cache")
        epub = _run("epub", "web", "--content", str(copy), "--out", str(work / "fresh"), "-q")
        results.append(Result("EPUB + web from a cold start (fresh output folder, cache kept)", epub.cpu, "≤ 2 s",
                              epub.cpu <= 2.0))
        bare = _run("epub", "web", "--content", str(copy), "--out", str(work / "bare"), "-q")
        results.append(Result("EPUB + web with nothing cached", bare.cpu))
        chapter = sorted((copy / "chapters").glob("*.md"))[1]
        chapter.write_text(chapter.read_text(encoding="utf-8") + "\nAn added sentence.\n", encoding="utf-8")
        edit = _run("epub", "web", "--content", str(copy), "--out", str(out), "-q")
        results.append(Result("one chapter edited: EPUB + web", edit.cpu, "≤ 2 s", edit.cpu <= 2.0))
        pdf_cold = {}
        for workers in (1, 2):
            pdf_cold[workers] = _run("pdf", "--content", str(copy), "--out", str(work / f"pdf{workers}"), "-q",
                                     workers=workers)
            results.append(Result(f"cold PDF editions, {workers} render process(es) (wall)", pdf_cold[workers].wall))
        results.append(Result("cold PDF editions (CPU)", pdf_cold[2].cpu))
        one, two = pdf_cold[1].wall, pdf_cold[2].wall
        serial = min(1.0, max(0.0, 2 * two / one - 1))  # Amdahl's law fitted to the two runs
        for cores in (4, 8):
            results.append(Result(f"cold PDF editions, {cores} cores (wall, expected: {serial:.0%} serial)",
                                  one * (serial + (1 - serial) / cores)))
        chapter.write_text(chapter.read_text(encoding="utf-8") + "\nAnother added sentence.\n", encoding="utf-8")
        refresh = _run("pdf", "--content", str(copy), "--out", str(work / "pdf2"), "-q")
        results.append(Result("one chapter edited: both PDF editions", refresh.cpu, "≤ 0.35 × cold PDF",
                              refresh.cpu <= 0.35 * pdf_cold[2].cpu))
        _run("pdf", "--content", str(copy), "--out", str(work / "pdf-check"), "-q")
        same = _pdfs(work / "pdf2") == _pdfs(work / "pdf-check")
        results.append(Result("edited PDFs byte-identical to a cold build (1 = yes)", float(same), "= 1", same))
        big = work / "content4"
        multiply(content, big, 4)
        four = _run("--content", str(big), "--out", str(work / "dist4"), "-q")
        results.append(Result("cold build, 4 × content", four.cpu, "≤ 4.5 × cold", four.cpu <= 4.5 * cold.cpu))
        results.append(Result("peak memory (MB), whole build: PSS of all its processes, real report", cold.pss,
                              "≤ 350 MB", cold.pss <= 350))
        results.append(Result("largest single process, resident (MB), real report", rss))
    return results


def table(results: list[Result]) -> str:
    lines = ["| case | measured | target | met |", "| --- | --- | --- | --- |"]
    for r in results:
        value = (f"{r.seconds:.0f} MB" if "MB" in r.case else "yes" if "1 = yes" in r.case and r.seconds
                 else "no" if "1 = yes" in r.case else f"{r.seconds:.2f} s")
        met = "" if r.ok is None else ("yes" if r.ok else "NO")
        lines.append(f"| {r.case} | {value} | {r.target} | {met} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    json_path = Path(argv[argv.index("--json") + 1]) if "--json" in argv else ROOT / "benchmarks" / "results.json"
    content = Path(argv[argv.index("--content") + 1]) if "--content" in argv else ROOT / "content"
    results = run(content.resolve())
    print(table(results))
    json_path.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n", encoding="utf-8")
    print(f"\nWrote {json_path}")
    return 0 if all(r.ok is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
