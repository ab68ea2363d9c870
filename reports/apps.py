from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Báo cáo tiến độ"

    def ready(self) -> None:
        from registry.services import SLOTS_CREATED_HOOKS
        from reports.services import progress_count_imported, progress_count_slots, progress_count_transition
        from workflows.services import IMPORT_HOOKS, TRANSITION_HOOKS

        if progress_count_transition not in TRANSITION_HOOKS:
            TRANSITION_HOOKS.append(progress_count_transition)
        if progress_count_slots not in SLOTS_CREATED_HOOKS:
            SLOTS_CREATED_HOOKS.append(progress_count_slots)
        if progress_count_imported not in IMPORT_HOOKS:
            IMPORT_HOOKS.append(progress_count_imported)
