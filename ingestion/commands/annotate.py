"""`clarity annotate`: record a release, a fix or a note on a date of a project, for the whole
site or one page, append-only in the warehouse (schema clarity_journal); the report marks it
on the charts and fct_annotation_effects compares each signal before and after it."""

from __future__ import annotations

import argparse

from ingestion.commands import _common, _journal
from ingestion.errors import ConfigurationError
from ingestion.exit_codes import ExitCode

HELP = "record a release, fix or note on a date (marked on the charts, its effect measured)"
# journal.ANNOTATION_KINDS, written out so that `clarity --help` does not import pyarrow
# (tests/unit/test_cli.py checks they are the same)
KINDS = ("release", "fix", "note")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", help="the project (as configured)")
    parser.add_argument(
        "date", nargs="?", help="the date, YYYY-MM-DD or today, in the project's time zone"
    )
    parser.add_argument("text", nargs="?", help='what changed, e.g. "checkout button fixed"')
    parser.add_argument(
        "--page", help="the page it is about, its full URL (default: the whole site)"
    )
    parser.add_argument(
        "--kind", choices=KINDS, default="release", help="release (default), fix or note"
    )
    parser.add_argument(
        "--list", action="store_true", help="show the project's annotations instead"
    )


def check_page(page: str | None) -> str | None:
    """A --page value: a full http(s) URL, the way the report and the marts show pages."""
    if page is None:
        return None
    page = page.strip()
    scheme, _, rest = page.partition("://")
    if scheme.lower() not in ("http", "https") or not rest.split("/", 1)[0]:
        raise ConfigurationError(
            f"--page {page!r} is not a page's full URL: give it as the report shows it, "
            "e.g. https://shop.example/checkout (or leave --page out for the whole site)"
        )
    return page


def main(args: argparse.Namespace) -> int:
    config = _common.config(args, require_tokens=False)
    project = _journal.project(config, args.project)
    if args.list:
        return _list(config, project.name)
    if args.date is None or not (args.text or "").strip():
        raise ConfigurationError(
            'Give the date and the text: clarity annotate PROJECT DATE "what changed" '
            "[--page URL] [--kind release|fix|note] (or --list to see what is recorded)"
        )
    from ingestion.warehouse import journal

    entry = journal.Annotation(
        project=project.name,
        annotation_date=_journal.parse_date(args.date, "DATE", project),
        kind=args.kind,
        text=args.text.strip(),
        page_url=check_page(args.page),
    )
    journal.append(config.warehouse, entry)
    where = entry.page_url or "the whole site"
    print(
        f"recorded {entry.kind} of {entry.annotation_date:%d %b %Y} on {where} for "
        f"{project.name} ({entry.annotation_id}); the next dbt build measures its effect"
    )
    return ExitCode.OK


def _list(config, project: str) -> int:
    from ingestion.warehouse import journal

    return _journal.print_recorded(
        config,
        project,
        journal.ANNOTATIONS,
        ("annotation_date", "kind", "page_url", "text", "incident_id"),
        f'no annotation for {project} yet: clarity annotate {project} DATE "text"',
        order=("annotation_date", "recorded_at"),
    )
