from django.urls import path
from django.views.generic import RedirectView

from accounts import admin_views, views

urlpatterns = [
    path("accounts/login/", views.PasswordStep.as_view(), name="login"),
    path("accounts/login/code/", views.login_code, name="login_code"),
    path("accounts/login/enrol/", views.login_enrol, name="login_enrol"),
    path("accounts/me/", views.account_me, name="account_me"),
    path("accounts/me/authenticator/", views.account_totp, name="account_totp"),
    path("accounts/me/authenticator/remove/", views.account_totp_remove, name="account_totp_remove"),
    path("accounts/me/password/", views.account_password, name="account_password"),
    # Django's own password change page would skip the audit row and the temporary-password flag.
    path("accounts/password_change/", RedirectView.as_view(pattern_name="account_password")),
    path("people/accounts/", admin_views.account_list, name="account_list"),
    path("people/accounts/new/", admin_views.account_new, name="account_new"),
    path("people/accounts/import/", admin_views.account_import, name="account_import"),
    path(
        "people/accounts/import/template.xlsx",
        admin_views.account_import_template,
        name="account_import_template",
    ),
    path("people/accounts/<int:pk>/", admin_views.account_detail, name="account_detail"),
    path("people/accounts/<int:pk>/<slug:action>/", admin_views.account_action, name="account_action"),
]
