"""Autosaved drafts of the entry form (server-side, per user and record)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.actors import Actor
from forms.models import Draft
from permissions.scoping import can
from registry.models import CivilRecord

# A draft holds the form's fields only, each at most this long (a name pasted 10,000 times
# over is refused when saved; the draft just must not grow without bound).
MAX_FIELDS = 300
MAX_VALUE = 10000


@transaction.atomic
def draft_save(*, user: Actor, record: CivilRecord, data: dict[str, Any], allowed: set[str]) -> Draft:
    """Store what `user` has typed for `record` (fields of the form only).

    Refused to a user who may not enter data for the record's unit, and for input that
    is not a form's worth of text. Nothing is validated beyond that: a draft may be wrong.
    """
    if not can(user, "enter_record", record.unit_path):
        raise PermissionDenied(
            _("You may not enter data for records of %(unit)s.") % {"unit": record.unit.name}
        )
    # PostgreSQL cannot store NUL in JSON text; a draft keeps the rest of what was typed.
    clean = {k: str(v).replace("\x00", "") for k, v in data.items() if k in allowed}
    if len(clean) > MAX_FIELDS or any(len(v) > MAX_VALUE for v in clean.values()):
        raise ValidationError(_("The draft is too large to keep; shorten the longest field."))
    draft, _created = Draft.objects.update_or_create(
        user=user, record=record, defaults={"data": clean, "record_version": record.version}
    )
    return draft


def draft_for(*, user: Actor, record: CivilRecord) -> Draft | None:
    """The user's unsaved input for the record, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Draft.objects.filter(user=user, record=record).first()


def draft_discard(*, user: Actor, record: CivilRecord) -> int:
    """Forget the user's draft for the record (after a save, or on request)."""
    return Draft.objects.filter(user=user, record=record).delete()[0]
