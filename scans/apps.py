from django.apps import AppConfig


class ScansConfig(AppConfig):
    """Scan intake, PDF rebuilding, the naming rule, book splits, named batches and the viewer."""

    name = "scans"
    verbose_name = "Bản quét"
    default_auto_field = "django.db.models.BigAutoField"
