from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "refuge.intake"
    label = "intake"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The fields intake indexes get their blind-index keys when an organisation is
        # created (refuge.accounts.actions), without accounts importing intake.
        from refuge.intake.actions.submissions import INDEXED_FIELDS
        from refuge.keyring.registry import register_blind_index_fields

        register_blind_index_fields(INDEXED_FIELDS)

        # The surge signal's scheduled job (refuge/core/jobs.py).
        from refuge.intake import surge  # noqa: F401
