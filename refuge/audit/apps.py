from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class AuditConfig(AppConfig):
    name = "refuge.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each app declares its audit events in its own `audit_events` module
        # (refuge/audit/codes.py); importing them all at start makes a code or
        # block claimed twice stop Refuge here, before any entry is written.
        import refuge.audit.events  # noqa: F401  (the first numbering)

        autodiscover_modules("audit_events")
