"""How to cite the report: plain text, BibTeX and RIS, all from the same metadata."""

from __future__ import annotations

from .model import Report
from .reference import format_date


def _authors(report: Report) -> list[str]:
    return [a.name for a in report.meta.authors if a.role == "author"] or [report.meta.publisher]


def plain_citation(report: Report) -> str:
    meta = report.meta
    title = meta.title + (f": {meta.subtitle}" if meta.subtitle else "")
    return (f"{'; '.join(_authors(report))}. {title}. Edition {meta.edition.number}. "
            f"{meta.publisher}, {format_date(meta.edition.date)}. {meta.identifier}.")


def bibtex(report: Report) -> str:
    meta = report.meta
    key = meta.id.replace("-", "_") + f"_ed{meta.edition.number}"
    fields = [
        ("title", meta.title.replace('"', "''")),
        ("subtitle", meta.subtitle),
        ("author", " and ".join("{" + a + "}" for a in _authors(report))),
        ("institution", meta.publisher),
        ("year", meta.edition.date[:4]),
        ("month", meta.edition.date[5:7]),
        ("edition", str(meta.edition.number)),
        ("url", meta.publisher_url),
        ("note", meta.identifier),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@techreport{{{key},\n{body}\n}}\n"


def ris(report: Report) -> str:
    meta = report.meta
    lines = ["TY  - RPRT", f"TI  - {meta.title}"]
    if meta.subtitle:
        lines.append(f"T2  - {meta.subtitle}")
    lines += [f"AU  - {name}" for name in _authors(report)]
    lines += [f"PB  - {meta.publisher}", f"PY  - {meta.edition.date[:4]}",
              f"DA  - {meta.edition.date.replace('-', '/')}", f"ET  - {meta.edition.number}",
              f"LA  - {meta.language}", f"M3  - {meta.identifier}"]
    if meta.publisher_url:
        lines.append(f"UR  - {meta.publisher_url}")
    lines.append("ER  - ")
    return "\n".join(lines) + "\n"
