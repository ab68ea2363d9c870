from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The top layer: settings, URLs, the wiring of hooks (`config.wiring`) and the demo data."""

    name = "config"
    verbose_name = "Cấu hình"

    def ready(self) -> None:
        from config.wiring import wire

        wire()
