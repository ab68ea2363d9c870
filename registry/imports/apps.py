from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Legacy import (issue 10): Ministry-template and older-software files into records."""

    name = "registry.imports"
    label = "imports"
    default_auto_field = "django.db.models.BigAutoField"
