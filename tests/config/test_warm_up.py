"""The page server's master loads views, templates, catalogues and weasyprint before it forks."""

from __future__ import annotations

import sys

from django.template import engines

from config.warm import _template_names, warm_up


def test_warm_up_compiles_the_templates_and_imports_the_renderer_without_touching_the_database() -> None:
    # No django_db mark: a query, or only opening a connection (shared across the fork), would raise.
    loaded = warm_up()
    assert "weasyprint" in sys.modules
    assert loaded["views"] > 50
    names = _template_names()
    assert "workflows/work/enter.html" in names and loaded["templates"] >= len(names) - 5
    # The cached loader now holds them: the first request of a worker compiles nothing.
    loader = engines["django"].engine.template_loaders[0]  # type: ignore[attr-defined]
    assert "workflows/work/enter.html" in {key.split("-")[0] for key in loader.get_template_cache}
