from django.contrib.staticfiles.apps import StaticFilesConfig as BaseStaticFilesConfig


class StaticFilesConfig(BaseStaticFilesConfig):
    """viewflow's wheel ships a font CSS under node_modules whose fonts are missing: never collect it."""

    ignore_patterns = [*BaseStaticFilesConfig.ignore_patterns, "node_modules"]
