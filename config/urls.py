from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

handler400 = "config.request_checks.bad_request"

urlpatterns = [
    # The admin site logs in through our login (lockout, second factor, audit), never its own form.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("accounts.urls")),  # before auth's URLs: our login replaces theirs
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("registry.urls")),
    path("", include("workflows.urls")),
    path("", include("permissions.urls")),
    path("transfer/", include("transfer.urls")),
    path("progress/", include("reports.urls")),
    path("", include("printing.urls")),
    path("", include("forms.urls")),
    path("", include("scans.urls")),
    path("", include("duplicates.urls")),
    path("imports/", include("imports.urls")),
    path("contracts/", include("contracts.urls")),
    path("jobs/", include("jobs.urls")),
    path("", include("api.urls")),
]
