from django.urls import include, path

from workflows import views

urlpatterns = [
    path("records/<int:pk>/do/<slug:action>/", views.record_action, name="record_action"),
    path("work/", include("workflows.inbox_urls")),
]
