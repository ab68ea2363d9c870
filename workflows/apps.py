from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Quy trình"

    def ready(self) -> None:
        # Every transition moves the record's viewflow process along, in the same transaction.
        from registry import services as registry_services
        from workflows import services
        from workflows.flows import process_follow, processes_start_for_import, processes_start_for_slots

        if process_follow not in services.TRANSITION_HOOKS:
            services.TRANSITION_HOOKS.append(process_follow)
        # Each new slot of a book gets its work items (a viewflow process) in the same transaction.
        if processes_start_for_slots not in registry_services.SLOTS_CREATED_HOOKS:
            registry_services.SLOTS_CREATED_HOOKS.append(processes_start_for_slots)
        # Imported cases get theirs the same way, in the import's transaction.
        if processes_start_for_import not in services.IMPORT_HOOKS:
            services.IMPORT_HOOKS.append(processes_start_for_import)
