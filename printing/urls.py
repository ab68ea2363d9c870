from django.urls import path

from printing import views

urlpatterns = [
    path("counter/", views.counter, name="counter"),
    path("counter/records/<int:pk>/", views.counter_record, name="counter_record"),
    path("counter/records/<int:pk>/preview.pdf", views.counter_preview, name="counter_preview"),
    path("counter/issues/", views.issue_log, name="extract_issue_log"),
    path("counter/issues/<int:pk>/", views.issue_detail, name="extract_issue_detail"),
    path("counter/issues/<int:pk>/pdf", views.issue_pdf, name="extract_issue_pdf"),
    path("counter/issues/<int:pk>/reprint/", views.issue_reprint, name="extract_issue_reprint"),
    path("counter/batches/", views.batch_create, name="extract_batch_create"),
    path("counter/batches/<int:pk>/", views.batch_detail, name="extract_batch_detail"),
    path("counter/batches/<int:pk>/pdf", views.batch_pdf, name="extract_batch_pdf"),
    path("verify/<str:token>/", views.verify, name="extract_verify"),
]
