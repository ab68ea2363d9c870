from django.urls import path

from registry import views

urlpatterns = [
    path("", views.home, name="home"),
    path("records/", views.record_list, name="record_list"),
    path("search/", views.record_search, name="record_search"),
    path("search.json", views.record_search_json, name="record_search_json"),
    path("books/", views.book_list, name="book_list"),
    path("books/new/", views.book_create, name="book_create"),
    path("books/<int:pk>/", views.book_detail, name="book_detail"),
    path("books/<int:pk>/edit/", views.book_edit_view, name="book_edit"),
    path("books/<int:pk>/keying/", views.book_keying_view, name="book_keying"),
    path("books/<int:pk>/slots/add/", views.book_slots_add_view, name="book_slots_add"),
    path("books/<int:pk>/slots/remove/", views.book_slot_remove_view, name="book_slot_remove"),
]
