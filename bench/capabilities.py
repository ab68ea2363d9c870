"""Finding, at run time, the code that other issues add (inbox, duplicates, reports, printing, import).

A scenario names the places its capability may live; the first one that imports
is used, and the report says which. None found: the scenario's keys are null and
the table says "n/a (not built yet)". To plug a capability in, add its
(module, attribute) at the front of the scenario's CANDIDATES list.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any


class NotBuilt(Exception):
    """The capability a scenario measures is not in this branch yet."""


def find(candidates: Iterable[tuple[str, str]]) -> tuple[Callable[..., Any], str] | None:
    """The first importable `module.attribute` among candidates, with its dotted name."""
    for module_name, attribute in candidates:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            # A module that exists but fails to import is a bug, not a missing capability.
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        found = getattr(module, attribute, None)
        if callable(found):
            return found, f"{module_name}.{attribute}"
    return None


def require(candidates: Iterable[tuple[str, str]], what: str) -> tuple[Callable[..., Any], str]:
    found = find(candidates)
    if found is None:
        raise NotBuilt(what)
    return found


def call_with(fn: Callable[..., Any], attempts: list[tuple[tuple[Any, ...], dict[str, Any]]]) -> Any:
    """Call fn with the first argument shape it accepts (signatures of other issues are not fixed yet)."""
    last: TypeError | None = None
    for args, kwargs in attempts:
        try:
            return fn(*args, **kwargs)
        except TypeError as exc:
            if "argument" not in str(exc):
                raise
            last = exc
    assert last is not None
    raise last


def first_page(result: Any, size: int) -> list[Any]:
    """Materialize the first page of what a selector returned (QuerySet, Page, list or dict)."""
    if hasattr(result, "object_list"):
        return list(result.object_list)
    if isinstance(result, dict):
        for key in ("items", "tasks", "queue", "page", "rows"):
            if key in result:
                return first_page(result[key], size)
        return [result]
    if hasattr(result, "__getitem__") and not isinstance(result, str | bytes):
        return list(result[:size])
    return list(result)
