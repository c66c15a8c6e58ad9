from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "refuge.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the scheduled job "notices" (refuge/core/jobs.py).
        from refuge.accounts import notices  # noqa: F401
