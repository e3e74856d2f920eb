from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "tiers.api"
    label = "api"
