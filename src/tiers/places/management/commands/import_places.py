"""`tiers import-places FILE`: import places from the census, the standard's CSV or GeoJSON."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from tqdm import tqdm

from tiers.places.opendata import readers
from tiers.places.opendata.importer import ImportReport, places_import

UNITS = {"line": gettext_lazy("line"), "feature": gettext_lazy("feature")}


class Command(BaseCommand):
    help = (
        "Import places from a file: the 2019 census of tiers-lieux (CSV), a CSV of the "
        "“lieux de médiation numérique” standard, or a GeoJSON FeatureCollection of points. "
        "Importing the same file again updates the places it created."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The file to import (“-” reads standard input).")
        parser.add_argument(
            "--format",
            choices=list(readers.FORMATS),
            default="",
            help="The file's format, when it is not recognised by itself.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check every row and report what would change, without writing anything.",
        )
        parser.add_argument(
            "--source",
            default="",
            help="The source name stored with the places (default: one per format, e.g. "
            "cget-2019). Importing again with the same source updates the same places.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name: str = options["file"]
        try:
            content = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": name, "error": exc.strerror}
            ) from None
        stem = "stdin" if name == "-" else Path(name).stem
        try:
            places_file = readers.read(content, format=options["format"])
            with tqdm(
                total=len(places_file.rows), unit=places_file.unit, file=sys.stderr,
                disable=not sys.stderr.isatty(), desc=_("Importing"),
            ) as bar:  # fmt: skip
                report = places_import(
                    places_file=places_file, source=options["source"].strip(), file_stem=stem,
                    dry_run=options["dry_run"], progress=bar.update,
                )  # fmt: skip
        except readers.ImportFileError as exc:
            raise CommandError(f"{name}: {exc.message}") from None
        self._print(report, verbosity=options["verbosity"])

    def _print(self, report: ImportReport, *, verbosity: int) -> None:
        out = self.stdout.write
        for warning in report.file_warnings:
            out(self.style.WARNING(_("Warning: %(message)s") % {"message": warning}))
        if verbosity >= 1:
            for issue in report.rejected:
                out(
                    self.style.ERROR(
                        _("Rejected %(unit)s %(number)d%(name)s: %(reason)s")
                        % {
                            "unit": UNITS[report.unit],
                            "number": issue.number,
                            "name": f" ({issue.name})" if issue.name else "",
                            "reason": issue.message,
                        }
                    )
                )
        if verbosity >= 2:
            for issue in report.warnings:
                out(
                    _("Warning, %(unit)s %(number)d%(name)s: %(message)s")
                    % {
                        "unit": UNITS[report.unit],
                        "number": issue.number,
                        "name": f" ({issue.name})" if issue.name else "",
                        "message": issue.message,
                    }
                )
        elif report.warnings:
            out(
                _("%(count)d warnings (values left out or corrected); -v 2 lists them.")
                % {"count": len(report.warnings)}
            )
        if report.dry_run:
            template = _(
                "Dry run, nothing was written. %(format)s, %(total)d rows: %(created)d to "
                "create, %(updated)d to update, %(unchanged)d unchanged, %(rejected)d rejected."
            )
        else:
            template = _(
                "%(format)s, %(total)d rows: %(created)d created, %(updated)d updated, "
                "%(unchanged)d unchanged, %(rejected)d rejected."
            )
        summary = template % {
            "format": readers.FORMATS[report.format],
            "total": report.total,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": len(report.rejected),
        }
        out(self.style.SUCCESS(summary))
