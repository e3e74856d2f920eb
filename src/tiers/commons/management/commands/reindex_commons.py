"""`tiers reindex-commons`: rebuild the full-text index of the documentation commons."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from tiers.commons import search


class Command(BaseCommand):
    help = (
        "Index every page of the documentation commons again (after restoring a database, "
        "or to repair the index). Pages are indexed on every change, so this is rarely needed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch", type=int, default=1000, help="Pages read and written at a time."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        with tqdm(
            unit=_("page"), file=sys.stderr, disable=not sys.stderr.isatty(), desc=_("Indexing")
        ) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            count = search.reindex_all(batch=max(1, options["batch"]), progress=progress)
        seconds = time.monotonic() - started
        self.stdout.write(
            _("%(count)d pages indexed in %(seconds).1f s.") % {"count": count, "seconds": seconds}
        )
