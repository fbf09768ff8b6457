"""Build benchmark: cold build, raw WeasyPrint baseline, no-op and one-chapter rebuilds,
4x content, peak memory. Prints a table, writes JSON, and checks the targets as ratios.

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
    """One measured case, with its target when it has one."""

    case: str
    seconds: float
    target: str = ""
    ok: bool | None = None


def _run(*args: str) -> float:
    """Seconds taken by one `build.py` invocation (a fresh interpreter, as an editor runs it)."""
    return _run_measured(*args)[0]


def _run_measured(*args: str) -> tuple[float, float]:
    """Seconds taken by one `build.py` invocation, and the peak of its process tree's summed
    PSS in MB (sampled every 50 ms)."""
    started = time.perf_counter()
    process = subprocess.Popen([PYTHON, str(ROOT / "build.py"), *args], cwd=ROOT,
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
    return seconds, peak[0] / 1024


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
    """Raw WeasyPrint, the physical limit of our stack: a fresh process that imports WeasyPrint
    and renders and writes the final screen HTML with its stylesheets (as `weasyprint` would),
    timed like the builds, from process start to exit."""
    prepare = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from publisher.formats import asset_href
from publisher.loader import load_report
from publisher.templates import make_env
from publisher.pdf import render_html
report, _ = load_report(Path({str(content)!r}))
out = Path({str(out)!r})
(out / "final.html").write_text(render_html(report, make_env(), "screen"), encoding="utf-8")
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
    started = time.perf_counter()
    subprocess.run([PYTHON, "-c", render], check=True)
    return time.perf_counter() - started


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


def run(content: Path) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        copy = work / "content"
        shutil.copytree(content, copy)
        out = work / "dist"
        cold, pss = _run_measured("--content", str(copy), "--out", str(out), "-q")
        rss = _peak_rss_mb()
        base = baseline(copy, work)
        results.append(Result("raw WeasyPrint: one process rendering the screen HTML", base))
        results.append(Result("cold build, all outputs", cold, "≤ 1.3 × baseline", cold <= 1.3 * base))
        noop = _run("--content", str(copy), "--out", str(out), "-q")
        results.append(Result("no-op rebuild", noop, "≤ 0.5 s", noop <= 0.5))
        chapter = sorted((copy / "chapters").glob("*.md"))[1]
        chapter.write_text(chapter.read_text(encoding="utf-8") + "\nAn added sentence.\n", encoding="utf-8")
        edit = _run("epub", "web", "--content", str(copy), "--out", str(out), "-q")
        results.append(Result("one chapter edited: EPUB + web", edit, "≤ 2 s", edit <= 2.0))
        _run("--content", str(copy), "--out", str(out), "-q")  # bring the PDFs up to date again
        big = work / "content4"
        multiply(content, big, 4)
        four = _run("--content", str(big), "--out", str(work / "dist4"), "-q")
        results.append(Result("cold build, 4 × content", four, "≤ 4.5 × cold", four <= 4.5 * cold))
        results.append(Result("peak memory (MB), whole build: PSS of all its processes, real report", pss,
                              "≤ 350 MB", pss <= 350))
        results.append(Result("largest single process, resident (MB), real report", rss))
    return results


def table(results: list[Result]) -> str:
    lines = ["| case | measured | target | met |", "| --- | --- | --- | --- |"]
    for r in results:
        value = f"{r.seconds:.0f} MB" if "MB" in r.case else f"{r.seconds:.2f} s"
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
