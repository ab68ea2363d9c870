"""Warm-up of a page server before it forks its workers (gunicorn `--preload`, config/wsgi.py).

Django loads the URLconf (and with it every view module), compiles each template and reads each
language's catalogue on the first request that needs them, and the extract renderer imports
weasyprint on the first print: every worker paid this again after the fork (~3 s of CPU each, the
slow first minutes of a campaign: bench/README.md). Done once in the master, the workers share it
copy-on-write. Nothing here opens a database connection (a socket shared across the fork would be
used by several processes at once).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.urls import get_resolver
from django.utils import translation

# Imported by a request only when it needs them (extracts); the rest of the app is imported by the URLconf.
HEAVY_MODULES = ("weasyprint",)


def _template_names() -> list[str]:
    """Every template of the project's own template folder (the apps' templates are few and small)."""
    names = []
    folders: list[Path] = list(settings.TEMPLATES[0]["DIRS"])  # type: ignore[call-overload]
    for folder in folders:
        root = Path(folder)
        names += [str(path.relative_to(root)) for path in sorted(root.rglob("*.html"))]
    return names


def warm_up() -> dict[str, int]:
    """Load what the first requests of every worker would load; returns what was loaded."""
    resolver = get_resolver()
    resolver._populate()  # imports every view module (Django does it on the first `resolve`)
    for name in HEAVY_MODULES:
        importlib.import_module(name)
    engine = engines["django"]
    templates = 0
    for name in _template_names():
        try:
            engine.get_template(name)  # compiled and kept by the cached loader
            templates += 1
        except (TemplateDoesNotExist, TemplateSyntaxError):  # a fragment that is not a template alone
            continue
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Queue")  # reads the catalogue of the language once
    return {"views": len(resolver.reverse_dict), "templates": templates}
