from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tiers.core"
    label = "core"
