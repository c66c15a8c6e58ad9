from django.apps import AppConfig


class AuditTestappConfig(AppConfig):
    name = "tests.audit_testapp"
    label = "audit_testapp"
