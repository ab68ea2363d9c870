from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Quy trình"

    def ready(self) -> None:
        from workflows.inbox_forms import choices_follow_models

        choices_follow_models()
