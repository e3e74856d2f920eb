import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from tiers.core import periodic


class Command(BaseCommand):
    help = "Run the periodic jobs (booking reminders...) once, or every N seconds with --loop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop", type=int, metavar="SECONDS", default=0, help="Run again every SECONDS."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            done = periodic.run_all()
            if options["verbosity"] > 1 or not options["loop"]:
                for name, count in done.items():
                    self.stdout.write(f"{name}: {count}")
            if not options["loop"]:
                return
            time.sleep(options["loop"])
            # a long-running loop: drop connections that are too old or broken
            close_old_connections()
