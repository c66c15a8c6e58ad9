from django.apps import AppConfig


class RelocationConfig(AppConfig):
    name = "refuge.relocation"
    default_auto_field = "django.db.models.BigAutoField"
