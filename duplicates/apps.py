from django.apps import AppConfig


class DuplicatesConfig(AppConfig):
    """The supervisors' queue of likely duplicates and their decisions (matching: `registry.matching`)."""

    name = "duplicates"
    verbose_name = "Trùng lặp"
