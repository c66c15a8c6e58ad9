from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The JSON API (v1) for integrations and scripts: docs/api.md."""

    name = "refuge.api"
    label = "api"
