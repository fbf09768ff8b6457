"""The command line: a thin layer that parses options and calls the pipeline."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from .errors import ContentError, ReportError, printable
from .output import check_output_folder, describe_os_error
from .options import FolderError
from .pipeline import TARGETS, BuildOptions, build

HELP_TARGETS = f"Outputs to build: any of {', '.join(TARGETS)} (default: all)."
HELP_CONTENT = "The report's content folder."
HELP_OUT = "Where outputs are written."
HELP_STRICT = "Treat warnings (unknown fields, unused references, renderer warnings) as errors."


class _CountWarnings(logging.Handler):
    """Counts warnings so that --strict can fail the build at the end."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _setup_logging(verbose: int, quiet: bool) -> _CountWarnings:
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s" if verbose else "%(message)s"))
    root = logging.getLogger("publisher")
    root.handlers[:] = [handler]
    root.setLevel(level)
    counter = _CountWarnings()
    root.addHandler(counter)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return counter


class _BuildByDefault(click.Group):
    """`python build.py [targets] [options]` builds; a known command word runs that command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["build", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_BuildByDefault, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Build a report's PDF editions, EPUB and web page from its content folder.

    \b
    Examples:
      python build.py                 # everything, into dist/
      python build.py pdf epub        # only these outputs
      python build.py --content my-report --out build --strict
      python build.py test            # the whole test suite
    """


def content_options(func: Any) -> Any:
    """--content, --out, --strict, -v and -q, shared by the commands."""
    func = click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")(func)
    func = click.option("-v", "--verbose", count=True, help="Say more (debug messages).")(func)
    func = click.option("--strict", is_flag=True, help=HELP_STRICT)(func)
    func = click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"),
                        show_default=True, help=HELP_OUT)(func)
    return click.option("--content", type=click.Path(path_type=Path, file_okay=False),
                        default=Path("content"), show_default=True, help=HELP_CONTENT)(func)


def _report_errors(action: Any) -> Any:
    """Run an action; turn the user's errors into `Error: …` lines and exit code 1 (folders that
    overlap into a usage error, exit code 2).

    An error of the system (a full disk, a folder that cannot be written) is one line too: it
    says what the system said about which file.
    """
    try:
        return action()
    except FolderError as exc:  # the folders given on the command line overlap
        raise click.UsageError(printable(str(exc))) from None
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(f"Error: {problem}", err=True)
    except ReportError as exc:
        click.echo(f"Error: {printable(str(exc))}", err=True)
    except OSError as exc:
        click.echo(f"Error: {printable(describe_os_error(exc))}", err=True)
    sys.exit(1)


def _check_folders(content: Path, out: Path) -> None:
    """The content folder must exist (a usage error, exit 2); the output folder must be one the
    build may write (an error, exit 1)."""
    if not content.is_dir():
        raise click.UsageError(f"content folder {str(content)!r} does not exist")
    _report_errors(lambda: check_output_folder(content, out))


HELP_FORCE = "Rebuild every output even if its inputs did not change."
HELP_EDITIONS = "The editions archive (default: editions/ beside the content folder)."


@main.command("build")
@click.argument("targets", nargs=-1, type=click.Choice(TARGETS))
@content_options
@click.option("--force", is_flag=True, help=HELP_FORCE)
@click.option("--editions", type=click.Path(path_type=Path, file_okay=False), help=HELP_EDITIONS)
@click.option("--archival", is_flag=True, help="Also write a PDF/A-3u archival edition of the PDF.")
def build_command(targets: tuple[str, ...], content: Path, out: Path, strict: bool, verbose: int,
                  quiet: bool, force: bool, editions: Path | None, archival: bool) -> None:
    """Build the outputs that are out of date (default: pdf, epub and web)."""
    counter = _setup_logging(verbose, quiet)
    _check_folders(content, out)
    _report_errors(lambda: build(BuildOptions(content, out, targets or TARGETS, strict, force, editions, archival)))
    if strict and counter.count:
        click.echo(f"Error: {counter.count} warning(s) with --strict", err=True)
        sys.exit(1)


@main.command("release")
@content_options
@click.option("--editions", type=click.Path(path_type=Path, file_okay=False), help=HELP_EDITIONS)
def release_command(content: Path, out: Path, strict: bool, verbose: int, quiet: bool,
                    editions: Path | None) -> None:
    """Freeze the current edition: copy its PDFs and EPUB into the editions archive.

    The edition number and date in report.yaml must be newer than the last release, and the
    content must have changed since it. Released files never change afterwards.
    """
    from .pipeline import release_edition

    _setup_logging(verbose, quiet)
    _check_folders(content, out)
    folder = _report_errors(lambda: release_edition(BuildOptions(content, out, TARGETS, strict, False, editions)))
    click.echo(f"Released into {folder}")


@main.command("check")
@content_options
@click.option("--source", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="The content folder of the report this one translates: report translations out of date.")
def check_command(content: Path, out: Path, strict: bool, verbose: int, quiet: bool, source: Path | None) -> None:
    """Validate the content and the outputs already built (EPUBCheck, PDF checks), without building."""
    from .check import check_outputs

    _setup_logging(verbose, quiet)
    problems = _report_errors(lambda: check_outputs(content, out, strict, source))
    for problem in problems:
        click.echo(f"Error: {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo("Content and outputs are valid.")


@main.command("preflight")
@content_options
def preflight_command(content: Path, out: Path, strict: bool, verbose: int, quiet: bool) -> None:
    """Lay out both PDF editions and report what a typesetter would reject (docs/preflight.md).

    Each finding is a line `source:line: page N (edition): rule: message`; findings the content
    accepts on purpose are shown with their reason and do not count. Exit code 1 if any counts.
    """
    from .options import BuildOptions
    from .pdf import preflight
    from .pipeline import draw_charts, load

    _setup_logging(verbose, quiet)
    if not content.is_dir():
        raise click.UsageError(f"content folder {str(content)!r} does not exist")
    options = BuildOptions(content, out, strict=strict)

    def laid_out() -> list[Any]:
        report = load(options)
        draw_charts(report, options, ("pdf",))
        return preflight(report, options)

    findings = _report_errors(laid_out)
    counted = [f for f in findings if not f.allowed]
    for finding in findings:
        click.echo(printable(str(finding)), err=bool(counted))
    allowed = len(findings) - len(counted)
    click.echo(f"{len(counted)} finding(s)" + (f", {allowed} allowed" if allowed else ""), err=bool(counted))
    if counted:
        sys.exit(1)


@main.command("serve")
@click.argument("targets", nargs=-1, type=click.Choice(TARGETS))
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 to serve on (0: any free port).")
@content_options
def serve_command(targets: tuple[str, ...], port: int, content: Path, out: Path, strict: bool, verbose: int,
                  quiet: bool) -> None:
    """Preview on http://127.0.0.1:8000/, rebuilding and reloading on every change.

    Content, templates and styles are watched. The web pages and the EPUB are rebuilt at once,
    the PDFs in the background (leave them out with e.g. `serve web epub`).
    """
    # Imported here: the file watcher is only needed by this command.
    from .serve import Preview, quiet_writes

    _setup_logging(verbose, quiet)
    if not verbose:
        quiet_writes()
    _check_folders(content, out)
    try:
        preview = Preview(_report_errors(lambda: BuildOptions(content, out, targets or TARGETS, strict)), port)
    except OSError as exc:
        raise click.UsageError(f"cannot serve on port {port}: {exc.strerror}") from None
    preview.run()


@main.command("proof")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"),
              show_default=True, help="The output folder whose PDFs are proofed.")
def proof_command(out: Path) -> None:
    """Render a contact sheet of page thumbnails (PNG) of each PDF into OUT/proof/."""
    _setup_logging(0, False)
    from .proof import write_proofs

    for path in _report_errors(lambda: write_proofs(out)):
        click.echo(f"Wrote {path}")


@main.command("messages")
def messages_command() -> None:
    """Extract the publisher's words from the templates and the code into locales/messages.pot and
    bring every language's catalogue up to date (new messages untranslated; docs/languages.md)."""
    from .catalogue import untranslated, update

    for path in update():
        click.echo(f"Wrote {path}")
    from .catalogue import available

    for code in available():
        missing = untranslated(code)
        if missing:
            click.echo(f"{code}: {len(missing)} message(s) to translate", err=True)


@main.command("docs")
def docs_command() -> None:
    """Regenerate the field reference in docs/content-format.md from the schema."""
    from .fieldref import DOCUMENT, update

    click.echo(f"{'Updated' if update() else 'Unchanged:'} {DOCUMENT}")
