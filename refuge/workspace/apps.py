from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "refuge.workspace"
    label = "workspace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The case page's panels, registered once in page order (refuge/workspace/panels.py).
        from refuge.workspace.views import attach_panels, case_panels

        case_panels.register()
        attach_panels.register()
