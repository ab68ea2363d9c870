from django.urls import include, path

from workflows import views

urlpatterns = [
    path("records/<int:pk>/enter/", views.record_enter, name="record_enter"),
    path("records/<int:pk>/scan/", views.scan_upload, name="scan_upload"),
    path("records/<int:pk>/do/<slug:action>/", views.record_action, name="record_action"),
    path("work/", include("workflows.inbox_urls")),
]
