"""Background jobs of printing (django-tasks; the database backend in production)."""

from __future__ import annotations

from django_tasks import task


@task()
def extract_batch_render(batch_id: int) -> int:
    """Render a batch of extracts into one PDF; returns how many extracts it holds."""
    from printing.services import extract_batch_run

    return extract_batch_run(batch_id=batch_id).done
