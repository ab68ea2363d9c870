"""What an account carries beyond Django's user: its unit, its end date, a forced password change.

A user without an `Account` row (the accounts made before this app, or by `createsuperuser`) belongs
to the units of its roles and never ends.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.models import AdministrativeUnit


class Account(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account")
    # The unit the account belongs to: the administrators of its subtree manage it.
    unit = models.ForeignKey(
        AdministrativeUnit, verbose_name=_("unit"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    # Mobilized staff: the last day the account may be used; from the next day it is locked.
    ends_on = models.DateField(_("last day of use"), null=True, blank=True)
    # Set when an administrator gave a temporary password: the next login must choose a new one.
    must_change_password = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.user.get_username()
