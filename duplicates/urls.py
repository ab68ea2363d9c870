from django.urls import path

from duplicates import views

urlpatterns = [
    path("records/<int:pk>/duplicates/", views.record_duplicates, name="record_duplicates"),
    path("duplicates/", views.duplicate_queue, name="duplicate_queue"),
]
