from django.urls import path

from imports import views

urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("<int:pk>/", views.import_job, name="import_job"),
    path("<int:pk>/settings/", views.import_job_configure, name="import_job_configure"),
    path("<int:pk>/check/", views.import_job_check, name="import_job_check"),
    path("<int:pk>/import/", views.import_job_commit, name="import_job_commit"),
    path("<int:pk>/report.xlsx", views.import_job_report, name="import_job_report"),
    path("clean-up/", views.cleanup, name="import_cleanup"),
]
