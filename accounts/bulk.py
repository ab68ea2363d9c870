"""Accounts from an Excel sheet: the template, the reading and the check of every row.

The check reports every problem of every row (by the row number Excel shows) and creates nothing;
only a sheet without problems is created, all rows in one transaction (`accounts_bulk_create`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from accounts.selectors import grantable_roles, units_for_accounts
from accounts.services import NewAccount
from audit.actors import Actor
from permissions.roles import Role
from registry.models import AdministrativeUnit
from vietnamese.names import clean_name, name_key

MAX_ROWS = 1000
MAX_BYTES = 2 * 1024 * 1024

# (key, heading in the template, what goes in it)
COLUMNS: tuple[tuple[str, Any, Any], ...] = (
    ("username", _l("User name"), _l("Letters without diacritics, digits and . _ - @ (e.g. nguyen.van.an)")),
    ("full_name", _l("Full name"), _l("As on the identity card (e.g. Nguyễn Văn An)")),
    ("unit_code", _l("Unit code"), _l("The official code of a unit in your area (e.g. 13285)")),
    ("role", _l("Role"), _l("One of the roles listed on the page, by its name or its code")),
    (
        "ends_on",
        _l("Last day of use"),
        _l("Mobilized staff only: dd/mm/yyyy; the account locks itself the day after. Empty: no end"),
    ),
)
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class SheetError(Exception):
    """The file as a whole cannot be read (not an Excel file, no heading row, too many rows)."""


@dataclass
class CheckedRow:
    row_no: int
    values: dict[str, str]
    spec: NewAccount | None = None
    errors: list[str] = field(default_factory=list)


def template_xlsx() -> bytes:
    """The empty sheet to fill in: headings, one example row, and the roles on a second sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_("Accounts"))
    sheet.append([str(heading) for _key, heading, _help in COLUMNS])
    sheet.append([str(help_text) for _key, _heading, help_text in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="777777")
    for column, width in zip("ABCDE", (24, 28, 14, 22, 22), strict=True):
        sheet.column_dimensions[column].width = width
    roles = workbook.create_sheet(str(_("Roles")))
    roles.append([str(_("Role")), str(_("Code"))])
    for code, label in Role.choices:
        roles.append([str(label), code])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _heading_keys() -> dict[str, str]:
    """Folded heading (either language) → column key."""
    from django.utils import translation

    keys = {}
    for key, heading, _help in COLUMNS:
        keys[name_key(key)] = key
        for language in ("vi", "en"):
            with translation.override(language):
                keys[name_key(str(heading))] = key
    return keys


def read_sheet(upload: IO[bytes]) -> list[tuple[int, dict[str, str]]]:
    """The filled rows of the first sheet as (Excel row number, {column key: text})."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a file that is not .xlsx
        raise SheetError(
            _("This file cannot be read as an Excel sheet (.xlsx): start from the template.")
        ) from exc
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None) or ()
        by_heading = _heading_keys()
        positions = {i: by_heading.get(name_key(_text(h))) for i, h in enumerate(header)}
        missing = [str(heading) for key, heading, _h in COLUMNS if key not in positions.values()]
        if missing:
            raise SheetError(
                _("The first row must hold the headings of the template; missing: %(columns)s.")
                % {"columns": ", ".join(missing)}
            )
        found = []
        for row_no, values in enumerate(rows, start=2):
            texts = {key: _text(values[i]) for i, key in positions.items() if key and i < len(values)}
            if not any(texts.values()) or _is_help_row(texts):
                continue
            found.append((row_no, texts))
            if len(found) > MAX_ROWS:
                raise SheetError(_("At most %(max)d accounts per file: split it.") % {"max": MAX_ROWS})
        return found
    finally:
        workbook.close()


def _is_help_row(texts: dict[str, str]) -> bool:
    """The template's second row (what goes in each column), left in by the user."""
    from django.utils import translation

    for language in ("vi", "en"):
        with translation.override(language):
            if texts.get("username") == str(COLUMNS[0][2]):
                return True
    return False


def _role(text: str) -> str | None:
    wanted = name_key(text)
    from django.utils import translation

    for code, label in Role.choices:
        if wanted == code:
            return code
        for language in ("vi", "en"):
            with translation.override(language):
                if wanted == name_key(str(label)):
                    return code
    return None


def _date(text: str) -> dt.date:
    match = _DATE.match(text)
    if not match:
        raise ValueError(text)
    return dt.date(int(match[3]), int(match[2]), int(match[1]))


def check_rows(rows: list[tuple[int, dict[str, str]]], *, actor: Actor) -> list[CheckedRow]:
    """Every row with the account it would create, or all its problems (nothing is written)."""
    User = get_user_model()
    units = list(units_for_accounts(actor))
    by_code: dict[str, list] = {}
    for each in units:
        by_code.setdefault(each.code, []).append(each)
        by_code.setdefault(each.code.lstrip("0"), []).append(each)
    usernames = [values.get("username", "") for _row, values in rows]
    taken = set(
        User.objects.annotate(folded=Lower("username"))
        .filter(folded__in=[u.lower() for u in usernames if u])
        .values_list("folded", flat=True)
    )
    seen: dict[str, int] = {}
    today = timezone.localdate()
    checked = []
    for row_no, values in rows:
        row = CheckedRow(row_no, values)
        username = values.get("username", "")
        if not username:
            row.errors.append(_("User name is empty."))
        else:
            try:
                ASCIIUsernameValidator()(username)
                if len(username) > 150:
                    raise ValidationError("long")
            except ValidationError:
                row.errors.append(
                    _("User name “%(name)s”: use letters without diacritics, digits and . _ - @ only.")
                    % {"name": username[:40]}
                )
            if username.lower() in taken:
                row.errors.append(_("User name “%(name)s” is already taken.") % {"name": username[:40]})
            elif username.lower() in seen:
                row.errors.append(
                    _("User name “%(name)s” is also on row %(row)d.")
                    % {"name": username[:40], "row": seen[username.lower()]}
                )
            seen.setdefault(username.lower(), row_no)
        full_name = ""
        try:
            full_name = clean_name(values.get("full_name", ""))
            if not full_name:
                row.errors.append(_("Full name is empty."))
        except ValidationError as exc:
            row.errors.append(_("Full name: %(problem)s") % {"problem": " ".join(exc.messages)})
        code = values.get("unit_code", "")
        matches = by_code.get(code) or by_code.get(code.lstrip("0")) or []
        unit: AdministrativeUnit | None = matches[0] if len({u.pk for u in matches}) == 1 else None
        if not code:
            row.errors.append(_("Unit code is empty."))
        elif unit is None:
            row.errors.append(
                _("Unit code “%(code)s” is not a unit of your area.") % {"code": code[:20]}
                if not matches
                else _("Unit code “%(code)s” fits several units: write it in full.") % {"code": code[:20]}
            )
        role_text = values.get("role", "")
        role = _role(role_text) if role_text else None
        if not role_text:
            row.errors.append(_("Role is empty."))
        elif role is None:
            row.errors.append(_("Role “%(role)s” is not one of the roles listed.") % {"role": role_text[:40]})
        elif unit is not None and role not in grantable_roles(actor, unit):
            row.errors.append(
                _("You may not give the role “%(role)s” in %(unit)s.")
                % {"role": Role(role).label, "unit": unit.name}
            )
        ends_on = None
        if values.get("ends_on"):
            try:
                ends_on = _date(values["ends_on"])
                if ends_on < today:
                    row.errors.append(
                        _("Last day of use %(date)s has already passed.") % {"date": values["ends_on"]}
                    )
            except ValueError:
                row.errors.append(
                    _("Last day of use “%(date)s”: write it as dd/mm/yyyy.")
                    % {"date": values["ends_on"][:20]}
                )
        if not row.errors and unit is not None and role is not None:
            row.spec = NewAccount(
                username=username, full_name=full_name, unit=unit, role=role, ends_on=ends_on
            )
        checked.append(row)
    return checked
