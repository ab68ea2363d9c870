from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "transfer"
    verbose_name = "Chuyển dữ liệu"

    def ready(self) -> None:
        from transfer.services import transfer_on_import, transfer_on_transition
        from workflows.services import IMPORT_HOOKS, TRANSITION_HOOKS

        # Approval puts the record in the outbox inside the approval's transaction.
        if transfer_on_transition not in TRANSITION_HOOKS:
            TRANSITION_HOOKS.append(transfer_on_transition)
        if transfer_on_import not in IMPORT_HOOKS:
            IMPORT_HOOKS.append(transfer_on_import)
