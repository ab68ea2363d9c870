"""Finding 9: only a superuser could create accounts, one at a time in /admin/. Province administrators
now create, deactivate, reset and bulk-create the accounts of their subtree, and nothing outside it."""

import datetime as dt
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from accounts.models import Account
from audit.models import AuditEvent
from permissions.models import UnitRole
from permissions.roles import Role
from tests.factories import make_user

User = get_user_model()


def temporary_passwords(response) -> dict[str, str]:
    html = response.content.decode()
    return dict(
        re.findall(
            r'<a href="/people/accounts/\d+/">([^<]+)</a></td><td>[^<]*</td><td><code>([^<]+)</code>', html
        )
    )


def test_an_admin_creates_an_account_whose_temporary_password_must_be_changed(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("account_new"),
        {
            "username": "tran.thi.mai",
            "full_name": "Trần Thị Mai",
            "unit": world.commune_a.pk,
            "role": "clerk",
        },
    )
    (password,) = temporary_passwords(response).values()
    user = User.objects.get(username="tran.thi.mai")
    assert user.get_full_name() == "Trần Thị Mai"
    assert UnitRole.objects.filter(group__user=user, unit=world.commune_a, role="clerk").exists()
    assert Account.objects.get(user=user).must_change_password
    assert AuditEvent.objects.filter(
        action="account_create", actor=world.admin, object_id=str(user.pk)
    ).exists()
    client.logout()
    client.post("/accounts/login/", {"username": "tran.thi.mai", "password": password})
    assert client.get("/work/queue/")["Location"] == reverse("account_password")


def test_a_commune_admin_may_not_create_above_its_subtree_or_give_a_role_it_lacks(client, world):
    commune_admin = make_user("admin_xa", Role.PROVINCE_ADMIN, world.commune_a)
    client.force_login(commune_admin)
    response = client.post(
        reverse("account_new"),
        {"username": "x.y", "full_name": "Lê Văn Xuân", "unit": world.district1.pk, "role": "clerk"},
    )
    assert "Select a valid choice" in response.content.decode()
    assert not User.objects.filter(username="x.y").exists()


def test_deactivate_reactivate_and_reset_password(client, world):
    client.force_login(world.admin)
    client.post(reverse("account_action", args=[world.clerk.pk, "deactivate"]))
    world.clerk.refresh_from_db()
    assert not world.clerk.is_active
    other = client.__class__()
    assert other.post("/accounts/login/", {"username": "clerk_a", "password": "pw"}).status_code == 200
    client.post(reverse("account_action", args=[world.clerk.pk, "reactivate"]))
    response = client.post(reverse("account_action", args=[world.clerk.pk, "reset_password"]))
    (password,) = temporary_passwords(response).values()
    assert other.post("/accounts/login/", {"username": "clerk_a", "password": password}).status_code == 302
    actions = list(
        AuditEvent.objects.filter(object_id=str(world.clerk.pk), actor=world.admin).values_list(
            "action", flat=True
        )
    )
    assert {"account_deactivate", "account_reactivate", "password_reset"} <= set(actions)


def test_an_admin_of_another_unit_gets_404_on_every_account_page(client, world):
    commune_admin = make_user("admin_b", Role.PROVINCE_ADMIN, world.commune_b)
    client.force_login(commune_admin)
    target = world.clerk  # commune A
    assert client.get(reverse("account_detail", args=[target.pk])).status_code == 404
    for action in ("deactivate", "reactivate", "unlock", "reset_password", "remove_totp", "end"):
        assert client.post(reverse("account_action", args=[target.pk, action])).status_code == 404, action
    # nor does it see the province admin, whose role is above its subtree
    assert client.get(reverse("account_detail", args=[world.admin.pk])).status_code == 404
    listing = client.get(reverse("account_list")).content.decode()
    assert "clerk_a" not in listing and "admin_p" not in listing and "clerk_b" in listing
    target.refresh_from_db()
    assert target.is_active


def test_someone_without_the_admin_role_is_refused(client, world):
    client.force_login(world.clerk)
    assert client.get(reverse("account_list")).status_code == 403
    assert client.get(reverse("account_detail", args=[world.clerk2.pk])).status_code == 403


def sheet(rows) -> io.BytesIO:
    workbook = Workbook()
    workbook.active.append(
        ["Tên đăng nhập", "Họ, chữ đệm và tên", "Mã đơn vị", "Vai trò", "Ngày cuối được sử dụng"]
    )
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "staff.xlsx"
    return buffer


def test_a_sheet_with_one_bad_row_creates_nothing_and_names_the_row(client, world):
    client.force_login(world.admin)
    code = world.commune_a.code
    upload = sheet(
        [
            ["nv.an", "Nguyễn Văn An", code, "clerk", "31/12/2099"],
            ["nv.binh", "Trần Thị Bình", code, "Chức vụ lạ", ""],
            ["nv.cuong", "Lê Văn Cường", code, "reviewer", ""],
        ]
    )
    response = client.post(reverse("account_import"), {"file": upload})
    html = response.content.decode()
    assert "1 row has problems" in html
    assert re.search(r'<td class="num">3</td><td>nv.binh</td><td>Role “Chức vụ lạ”', html)
    assert not User.objects.filter(username__startswith="nv.").exists()
    # confirming without a clean check creates nothing either
    client.post(reverse("account_import"), {"confirm": "1"})
    assert not User.objects.filter(username__startswith="nv.").exists()


def test_a_clean_sheet_creates_every_account_with_mobilized_staff_ending(client, world):
    client.force_login(world.admin)
    code = world.commune_a.code
    last_day = timezone.localdate() + dt.timedelta(days=30)
    upload = sheet(
        [
            ["nv.an", "Nguyễn Văn An", code, "Cán bộ số hóa", last_day.strftime("%d/%m/%Y")],
            ["nv.cuong", "Lê Văn Cường", int(code), "reviewer", None],
        ]
    )
    response = client.post(reverse("account_import"), {"file": upload})
    assert "2 accounts are ready to create" in response.content.decode()
    assert not User.objects.filter(username__startswith="nv.").exists()
    response = client.post(reverse("account_import"), {"confirm": "1"})
    assert set(temporary_passwords(response)) == {"nv.an", "nv.cuong"}
    assert Account.objects.get(user__username="nv.an").ends_on == last_day
    assert Account.objects.get(user__username="nv.cuong").ends_on is None
    assert AuditEvent.objects.filter(action="account_create", actor=world.admin).count() == 2


def test_the_template_downloads_with_the_documented_headings(client, world, vietnamese):
    client.force_login(world.admin)
    response = client.get(reverse("account_import_template"))
    headings = [
        c.value for c in next(load_workbook(io.BytesIO(response.content)).active.iter_rows(max_row=1))
    ]
    assert headings[:2] == ["Tên đăng nhập", "Họ, chữ đệm và tên"]
    page = client.get(reverse("account_import")).content.decode()
    assert all(h in page for h in headings)


@pytest.mark.parametrize("content", [b"not an excel file", b"PK\x03\x04broken"])
def test_a_file_that_is_not_excel_gets_a_message(client, world, content):
    client.force_login(world.admin)
    upload = io.BytesIO(content)
    upload.name = "x.xlsx"
    response = client.post(reverse("account_import"), {"file": upload})
    assert response.status_code == 200
    assert "cannot be read as an Excel sheet" in response.content.decode()
