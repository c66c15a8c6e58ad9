from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "refuge.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the system checks (refuge.E001…, refuge.W001…) with Django.
        from refuge.core import checks  # noqa: F401
        from refuge.core.forms import use_refuge_messages

        use_refuge_messages()
