from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _

from permissions.roles import Role
from registry.models import AdministrativeUnit


class UnitRole(models.Model):
    """A role on a unit, carried by one auth Group: a member holds the role on the subtree."""

    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="unit_role")

    class Meta:
        verbose_name = _("role on a unit")
        verbose_name_plural = _("roles on units")
        constraints = [models.UniqueConstraint(fields=["unit", "role"], name="unit_role_unique")]

    def __str__(self) -> str:
        return f"{self.get_role_display()} – {self.unit.name}"
