"""Drafts of data entry: what a user typed into a case's form and has not saved yet."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.models import CivilRecord


class Draft(models.Model):
    """The form input of one user for one record, autosaved while typing.

    Kept on the server so that a closed tab, a lost connection or another computer
    loses nothing; deleted when the record is saved. Holds raw, unvalidated input,
    shown back only inside form fields (escaped).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    record = models.ForeignKey(CivilRecord, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(default=dict)
    record_version = models.PositiveIntegerField(_("record version the draft started from"))
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        constraints = [models.UniqueConstraint(fields=["user", "record"], name="draft_one_per_user_record")]

    def __str__(self) -> str:
        return f"{self.user_id} / {self.record_id}"
