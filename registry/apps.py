from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Sổ hộ tịch"

    def ready(self) -> None:
        from registry.scans import scan_name_on_attach
        from workflows.services import TRANSITION_HOOKS

        if scan_name_on_attach not in TRANSITION_HOOKS:
            TRANSITION_HOOKS.append(scan_name_on_attach)
