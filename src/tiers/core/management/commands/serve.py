import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from tiers.places.models import Place


class Command(BaseCommand):
    help = "Migrate the database, load the demo network the first time, and serve the site."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo network.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if not options["no_demo"] and not Place.objects.exists():
            self.stdout.write("Loading the demo network (first run)…")
            call_command("demo")
        # reminders and other periodic jobs, every minute, beside the server
        threading.Thread(
            target=call_command, args=("run_periodic",), kwargs={"loop": 60, "verbosity": 0},
            daemon=True, name="periodic",
        ).start()  # fmt: skip
        call_command("runserver", options["addrport"], use_reloader=False)
