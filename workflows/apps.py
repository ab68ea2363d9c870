from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Quy trình"

    def ready(self) -> None:
        # Every transition moves the record's viewflow process along, in the same transaction.
        from workflows import services
        from workflows.flows import process_follow

        if process_follow not in services.TRANSITION_HOOKS:
            services.TRANSITION_HOOKS.append(process_follow)
