from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "refuge.workspace"
    label = "workspace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The panels of the case, person and home pages, registered once (refuge/workspace/panels.py).
        from refuge.workspace.views import (
            applications_panels,
            attach_panels,
            case_panels,
            disclosures_panels,
            home_panels,
            retention_panels,
            safety_panels,
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
