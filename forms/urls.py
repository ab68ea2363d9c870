from django.urls import path

from forms import views

urlpatterns = [
    path("records/<int:pk>/draft/", views.draft_autosave, name="draft_autosave"),
    path("records/<int:pk>/draft/discard/", views.draft_forget, name="draft_discard"),
    path("records/<int:pk>/duplicates/", views.record_duplicates, name="record_duplicates"),
    path("duplicates/", views.duplicate_queue, name="duplicate_queue"),
    path("entry/legacy-text/", views.legacy_convert, name="legacy_convert"),
    path("search/", views.record_search, name="record_search"),
    path("search.json", views.record_search_json, name="record_search_json"),
]
