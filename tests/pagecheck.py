"""Whether the detail page describes the files beside it (used by the consistency tests)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from lxml import html as lhtml


def page_problems(out: Path) -> list[str]:
    """How the detail page's downloads (the list and the JSON-LD) differ from the files beside it:
    an empty list when it describes them."""
    tree = lhtml.fromstring((out / "index.html").read_bytes())
    data = json.loads(tree.xpath("//script[@type='application/ld+json']")[0].text)
    base = data["url"] if data["url"].startswith("https://") else ""  # the report's `url`, or relative
    described = {str(m["contentUrl"]).removeprefix(base): (int(m["contentSize"].split()[0]), m["sha256"])
                 for m in data["encoding"]}
    listed = {name.text_content(): sha.text_content() for name, sha in
              zip(tree.xpath("//details[@class='checksums']//dt"), tree.xpath("//details[@class='checksums']//dd"))}
    for li in tree.xpath("//section[@id='downloads']//li"):
        name = li.xpath("string(a/@href)")
        if described.get(name, (0, ""))[1] != listed.get(name):
            return [f"{name}: the list and the JSON-LD differ"]
    problems = []
    for name, (size, sha256) in described.items():
        path = out / name
        if not path.is_file():
            problems.append(f"{name}: described, but not there")
            continue
        data = path.read_bytes()
        if (len(data), hashlib.sha256(data).hexdigest()) != (size, sha256):
            problems.append(f"{name}: the page gives {size} bytes, {sha256[:12]}…; the file has "
                            f"{len(data)} bytes, {hashlib.sha256(data).hexdigest()[:12]}…")
    return problems
