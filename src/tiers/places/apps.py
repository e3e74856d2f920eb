from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacesConfig(AppConfig):
    name = "tiers.places"
    label = "places"
    verbose_name = _("Places")

    def ready(self) -> None:
        # Plugs the places' part of a person's data into the accounts app's registries.
        from tiers.places import personal_data  # noqa: F401
