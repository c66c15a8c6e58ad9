from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "refuge.cases"
    default_auto_field = "django.db.models.BigAutoField"
