"""The documentation says what the code does: the field reference is the schema's."""

from __future__ import annotations

from publisher.fieldref import current, section
from tests.conftest import run_cli


def test_the_field_reference_is_generated_from_the_schema():
    assert current() == section(), "docs/content-format.md is out of date: run `python build.py docs`"


def test_every_command_is_documented_in_the_readme():
    from publisher.cli import main
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, command in main.commands.items():
        if not command.hidden:
            assert f"python build.py {name}" in readme or name == "build", name
    assert run_cli("--help").exit_code == 0
