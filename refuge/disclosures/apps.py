from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "refuge.disclosures"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from refuge.cases.actions.team import register_team_keys
        from refuge.disclosures import jobs  # noqa: F401  (registers the packets-spent job)
        from refuge.disclosures.packets import packet_keys_of_team

        register_team_keys(packet_keys_of_team)
