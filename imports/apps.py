from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Legacy import: Ministry-template and older-software files into records."""

    name = "imports"
    label = "imports"
    default_auto_field = "django.db.models.BigAutoField"
