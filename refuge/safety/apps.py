from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "refuge.safety"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from refuge.safety import jobs  # noqa: F401  (registers the missed check-in job)
