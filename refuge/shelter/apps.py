from django.apps import AppConfig


class ShelterConfig(AppConfig):
    name = "refuge.shelter"
    default_auto_field = "django.db.models.BigAutoField"
