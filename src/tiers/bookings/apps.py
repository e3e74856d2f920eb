from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "tiers.bookings"
    label = "bookings"
    verbose_name = _("Bookings")

    def ready(self) -> None:
        from tiers.bookings import notifications, personal_data, sections  # noqa: F401
        from tiers.core import periodic
        from tiers.places.sections import place_manager_links, place_section

        place_section(sections.resources_section)
        place_manager_links(sections.manager_links)

        periodic.register("booking reminders", notifications.send_due_reminders)
