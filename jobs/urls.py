from django.urls import path

from jobs import views

urlpatterns = [
    path("", views.my_jobs, name="my_jobs"),
    path("<int:pk>/progress.json", views.job_progress, name="job_progress"),
    path("<int:pk>/cancel/", views.job_cancel, name="job_cancel"),
]
