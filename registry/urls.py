from django.urls import path

from registry import views

urlpatterns = [
    path("", views.home, name="home"),
    path("records/", views.record_list, name="record_list"),
    path("records/<int:pk>/", views.record_detail, name="record_detail"),
    path("scans/<int:pk>/", views.scan_download, name="scan_download"),
    path("books/", views.book_list, name="book_list"),
    path("books/new/", views.book_create, name="book_create"),
    path("books/<int:pk>/", views.book_detail, name="book_detail"),
]

from registry import api  # noqa: E402

urlpatterns += [
    path("api/records/<int:pk>/", api.record_detail, name="api_record_detail"),
    path("api/books/", api.book_create, name="api_book_create"),
]
