from django.apps import AppConfig


class KeyringConfig(AppConfig):
    name = "refuge.keyring"
    label = "keyring"
    default_auto_field = "django.db.models.BigAutoField"
