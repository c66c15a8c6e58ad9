from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "refuge.workspace"
    label = "workspace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The panels of the case, person and home pages, registered once (refuge/workspace/panels.py).
        from refuge.workspace.views import (
            applications_duress,
            applications_panels,
            attach_panels,
            audit_duress,
            case_duress,
            case_panels,
            disclosures_duress,
            disclosures_panels,
            home_duress,
            home_panels,
            intake_duress,
            retention_duress,
            retention_panels,
            safety_duress,
            safety_panels,
            shelter_duress,
            shelter_panels,
        )

        case_panels.register()
        attach_panels.register()
        shelter_panels.register()
        applications_panels.register()
        home_panels.register()
        safety_panels.register()
        disclosures_panels.register()
        retention_panels.register()
        # The empty pages a duress session sees, each capability's own (refuge/workspace/duress.py).
        home_duress.register()
        intake_duress.register()
        case_duress.register()
        shelter_duress.register()
        applications_duress.register()
        safety_duress.register()
        audit_duress.register()
        retention_duress.register()
        disclosures_duress.register()
