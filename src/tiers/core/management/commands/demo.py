from typing import Any

from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from tiers.bookings import demo as bookings_demo
from tiers.commons import demo as commons_demo
from tiers.events import demo as events_demo
from tiers.places import demo as places_demo


class Command(BaseCommand):
    help = "(Re)create the demo network: fictional places, people, networks, bookings, events and documentation."

    def handle(self, *args: Any, **options: Any) -> None:
        # the demo people's addresses do not exist: no confirmation e-mails for demo bookings
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            counts = places_demo.create()
            counts.update(bookings_demo.create())
            counts.update(events_demo.create())
            counts.update(commons_demo.create())
        self.stdout.write(
            self.style.SUCCESS(
                "Demo network ready: {places} places, {people} people, {networks} networks, "
                "{resources} bookable resources, {bookings} bookings, {events} events, "
                "{registrations} registrations, {pages} documentation pages. "
                "Accounts: <name>@{domain}, password “{password}”.".format(
                    **counts, domain=places_demo.DEMO_DOMAIN, password=places_demo.DEMO_PASSWORD
                )
            )
        )
