from django.apps import AppConfig


class JobsConfig(AppConfig):
    """Progress of long background jobs (imports, batch prints, exports, splits, reconciliation)."""

    name = "jobs"
    label = "jobs"
    default_auto_field = "django.db.models.BigAutoField"
