from django.urls import path

from forms import views, work_views

urlpatterns = [
    path("records/<int:pk>/draft/", views.draft_autosave, name="draft_autosave"),
    path("records/<int:pk>/draft/discard/", views.draft_forget, name="draft_discard"),
    path("records/<int:pk>/", views.record_detail, name="record_detail"),
    path("records/<int:pk>/enter/", views.record_enter, name="record_enter"),
    path("work/tasks/<int:pk>/", work_views.task_work, name="task_work"),
    path("entry/legacy-text/", views.legacy_convert, name="legacy_convert"),
]
