from django.apps import AppConfig


class ShelterConfig(AppConfig):
    name = "refuge.shelter"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The case list's shelter filter is answered here: cases does not import shelter.
        from refuge.cases.queries import register_case_filter
        from refuge.shelter.queries import cases_staying_in

        register_case_filter("shelter", cases_staying_in)
