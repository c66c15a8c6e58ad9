from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "refuge.disclosures"
    default_auto_field = "django.db.models.BigAutoField"
