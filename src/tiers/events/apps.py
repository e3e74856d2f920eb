from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "tiers.events"
    label = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from tiers.core import periodic
        from tiers.events import personal_data, registrations, sections  # noqa: F401
        from tiers.places.sections import place_manager_links, place_section

        place_section(sections.events_section)
        place_manager_links(sections.manager_links)
        periodic.register("event waiting-list offers", registrations.expire_offers)
        periodic.register("event reminders", registrations.send_due_reminders)
