from django.apps import AppConfig


class KeyringTestappConfig(AppConfig):
    name = "tests.keyring_testapp"
    label = "keyring_testapp"
    default_auto_field = "django.db.models.BigAutoField"
