from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonsConfig(AppConfig):
    name = "tiers.commons"
    label = "commons"
    verbose_name = _("Documentation commons")

    def ready(self) -> None:
        from tiers.commons import personal_data, sections  # noqa: F401
        from tiers.places.sections import network_section, place_section

        place_section(sections.place_pages_section)
        network_section(sections.network_pages_section)
