from django.apps import AppConfig


class RequesterConfig(AppConfig):
    name = "refuge.requester"
    label = "requester"
    default_auto_field = "django.db.models.BigAutoField"
