from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: the management commands (init, serve, demo, createorg, createuser, recovery),
    demo data and the server runner. The top of the layers: it may import every app, none imports it."""

    name = "refuge.ops"
    label = "ops"
    default_auto_field = "django.db.models.BigAutoField"
