from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "forms"
    label = "entry_forms"
    verbose_name = "Biểu mẫu nhập liệu"

    def ready(self) -> None:
        # The likely-duplicate check blocks approval, and keeps the supervisors' queue current.
        from registry.duplicates import approval_check, transition_hook
        from workflows.services import APPROVAL_CHECKS, TRANSITION_HOOKS

        if approval_check not in APPROVAL_CHECKS:
            APPROVAL_CHECKS.append(approval_check)
        if transition_hook not in TRANSITION_HOOKS:
            TRANSITION_HOOKS.append(transition_hook)
