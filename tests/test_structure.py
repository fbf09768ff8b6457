"""The shape of the code: modules import each other without cycles (type hints included)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter

from tests.conftest import ROOT


def imports() -> dict[str, set[str]]:
    """Each publisher module → the publisher modules it imports (anywhere in it)."""
    graph: dict[str, set[str]] = {}
    for path in sorted((ROOT / "publisher").glob("*.py")):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    found.add(node.module.split(".")[0])
                else:
                    found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("publisher."):
                found.add(node.module.split(".")[1])
        graph[path.stem] = found - {path.stem}
    return graph


def test_no_import_cycles():
    try:
        order = list(TopologicalSorter(imports()).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle: {' → '.join(exc.args[1])}") from None
    assert "model" in order


def test_the_model_and_loader_know_no_output_format():
    graph = imports()
    writers = {"pdf", "epub", "web", "site", "render", "figure", "templates", "pipeline"}
    for module in ("model", "loader", "markdown", "schema"):
        assert not graph[module] & writers, (module, graph[module] & writers)
