"""`tiers import-mediawiki DUMP.xml`: import a MediaWiki XML export into the commons."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from tiers.commons.licences import DEFAULT as DEFAULT_LICENCE
from tiers.commons.licences import Licence
from tiers.commons.mediawiki.dump import Dump, DumpError, compression
from tiers.commons.mediawiki.importer import MediaWikiImport, Report
from tiers.places.models import Network, Place


class Command(BaseCommand):
    help = (
        "Import a MediaWiki XML export (Special:Export with the full history, or "
        "dumpBackup.php --full; plain, .gz, .bz2 or .xz) into the documentation commons: "
        "every revision of the pages, categories as tags, redirects as aliases, talk pages as "
        "discussions. Importing the same wiki again adds only what is new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dump", help="The XML export to import.")
        owner = parser.add_mutually_exclusive_group()
        owner.add_argument(
            "--place", metavar="SLUG", help="The place that owns the imported pages."
        )
        owner.add_argument(
            "--network", metavar="SLUG", help="The network that owns the imported pages."
        )
        parser.add_argument(
            "--licence",
            default=DEFAULT_LICENCE,
            choices=list(Licence.values),
            help=f"The licence of the imported pages (default: {DEFAULT_LICENCE}).",
        )
        parser.add_argument(
            "--report",
            metavar="FILE",
            default="",
            help="Also write the report to FILE: JSON when it ends in .json, else Markdown.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read and convert everything and report what would change; write nothing.",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show the progress bars."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["dump"])
        if not path.is_file():
            raise CommandError(_("%(file)s: no such file.") % {"file": path})
        place = network = None
        if options["place"]:
            place = Place.objects.filter(slug=options["place"]).first()
            if place is None:
                raise CommandError(_("No place “%(slug)s”.") % {"slug": options["place"]})
        if options["network"]:
            network = Network.objects.filter(slug=options["network"]).first()
            if network is None:
                raise CommandError(_("No network “%(slug)s”.") % {"slug": options["network"]})
        report_path = Path(options["report"]) if options["report"] else None
        if report_path is not None and not report_path.parent.is_dir():
            raise CommandError(
                _("Cannot write the report: no folder %(folder)s.") % {"folder": report_path.parent}
            )
        quiet = options["no_progress"] or not sys.stderr.isatty()
        dump = Dump(path)
        try:
            # First reading: the whole file must be sound before anything is written.
            total = None if compression(path) else dump.size()
            with tqdm(
                total=total, unit="B", unit_scale=True, file=sys.stderr, disable=quiet,
                desc=_("Checking"),
            ) as bar:  # fmt: skip
                summary = dump.check(progress=bar.update)
            importer = MediaWikiImport(
                dump, place=place, network=network, licence=options["licence"],
                dry_run=options["dry_run"],
            )  # fmt: skip
            with tqdm(
                total=summary.pages, unit=_("page"), file=sys.stderr, disable=quiet,
                desc=_("Importing"),
            ) as bar:  # fmt: skip
                importer.progress = bar.update
                report = importer.run(summary)
        except DumpError as exc:
            raise CommandError(f"{path}: {exc.message}") from None
        self._print(report, verbosity=options["verbosity"])
        if report_path is not None:
            text = report.as_json() if report_path.suffix.lower() == ".json" else (
                report.as_markdown()
            )  # fmt: skip
            try:
                report_path.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(
                    _("Cannot write the report: %(error)s.") % {"error": exc.strerror or exc}
                ) from None
            self.stdout.write(_("Report written to %(file)s.") % {"file": report_path})

    def _print(self, report: Report, *, verbosity: int) -> None:
        out = self.stdout.write
        if report.dry_run:
            out(self.style.WARNING(_("Dry run: nothing was written.")))
        for line in report.summary_lines():
            out(line)
        if report.skipped:
            out(_("Skipped:"))
            for reason, count in report.skipped.most_common():
                out(f"  {reason}: {count}")
        if report.conflicts:
            out(self.style.WARNING(_("Conflicts (skipped, nothing overwritten):")))
            for problem in report.conflicts:
                out(f"  “{problem.title}”: {problem.reason}")
        if report.problems:
            out(self.style.WARNING(_("Problems:")))
            for problem in report.problems:
                out(f"  “{problem.title}”: {problem.reason}")
        if report.constructs:
            out(_("Not converted exactly (latest revision of each page):"))
            for name, item in sorted(report.constructs.items(), key=lambda i: -i[1].count):
                examples = report.top_examples(name)[: 5 if verbosity >= 2 else 3]
                shown = "; ".join(f"{sample} ({title})" for sample, _count, title in examples)
                out(f"  {name}: {item.count} — {shown}")
        out(self.style.SUCCESS(_("Import finished.") if not report.dry_run else _("Done.")))
