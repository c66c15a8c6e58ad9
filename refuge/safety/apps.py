from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "refuge.safety"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from refuge.accounts.backends import register_member_fact
        from refuge.safety import jobs  # noqa: F401  (registers the missed check-in job)
        from refuge.safety.queries import ANY_ALARM_OPEN, any_alarm_open

        # Asked with the member on every request: the alarm banner looks alarms up only when one is open.
        register_member_fact(ANY_ALARM_OPEN, any_alarm_open)
