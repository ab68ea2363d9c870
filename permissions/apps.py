from django.apps import AppConfig


class PermissionsConfig(AppConfig):
    name = "permissions"
    label = "unit_permissions"  # "permissions" would clash with auth's related names
    verbose_name = "Vai trò và phạm vi"
