from django.apps import AppConfig


class RetentionConfig(AppConfig):
    """Retention: how long each kind of record is kept, legal holds, and the daily crypto-shredding job.

    Just below the surfaces (docs/architecture.md, Layers): it deletes across cases and intake,
    and a coordinator's page in the workspace shows what it will shred next."""

    name = "refuge.retention"
    label = "retention"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from refuge.retention import job  # noqa: F401 - registers the daily "retention" job
