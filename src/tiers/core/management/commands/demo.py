from typing import Any

from django.core.management.base import BaseCommand

from tiers.places import demo as places_demo


class Command(BaseCommand):
    help = "(Re)create the demo network: fictional places, people and networks."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = places_demo.create()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo network ready: {places} places, {people} people, {networks} networks. "
                "Accounts: <name>@{domain}, password “{password}”.".format(
                    **counts, domain=places_demo.DEMO_DOMAIN, password=places_demo.DEMO_PASSWORD
                )
            )
        )
