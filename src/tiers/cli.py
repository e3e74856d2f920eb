"""The `tiers` command: Django's manage.py plus a few commands of our own.

tiers serve [PORT]        migrate, load the demo the first time, serve (development server)
tiers demo                (re)create the demo network
tiers import-places FILE  import places (census CSV, médiation numérique CSV, GeoJSON)
tiers import-mediawiki DUMP.xml  import a MediaWiki export into the documentation commons
tiers reindex-commons     rebuild the documentation commons' search index
tiers create-token EMAIL  print a new API token for an account
tiers run-periodic        send what is due (booking reminders); --loop SECONDS to repeat
tiers db-worker           run queued background jobs (with TASKS_BACKEND=database)
tiers <anything else>     any manage.py command (migrate, createsuperuser, check...)
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiers.settings")
    args = list(sys.argv if argv is None else argv)
    args[0] = "tiers"
    if len(args) > 1:
        # `tiers import-places` runs the `import_places` management command
        args[1] = args[1].replace("-", "_") if not args[1].startswith("-") else args[1]
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
