from django.contrib import admin
from django.urls import include, path

handler400 = "config.request_checks.bad_request"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
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
]
