from django.urls import path

from registry import scan_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("records/", views.record_list, name="record_list"),
    path("records/<int:pk>/", views.record_detail, name="record_detail"),
    path("scans/<int:pk>/", views.scan_download, name="scan_download"),
    path("books/", views.book_list, name="book_list"),
    path("books/new/", views.book_create, name="book_create"),
    path("books/<int:pk>/", views.book_detail, name="book_detail"),
    # Issue 5: scan viewer, whole-book scans and their split, named batches.
    path("scans/<int:pk>/view/", scan_views.scan_view, name="scan_view"),
    path("scans/<int:pk>/pages/<int:number>/", scan_views.scan_page, name="scan_page"),
    path("books/<int:pk>/scans/", scan_views.book_scans, name="book_scans"),
    path("book-scans/<int:pk>/split/", scan_views.book_scan_split, name="book_scan_split"),
    path("book-scans/<int:pk>/pages/<int:number>/", scan_views.book_scan_page, name="book_scan_page"),
    path("scan-splits/<int:pk>/", scan_views.split_job_detail, name="split_job_detail"),
    path("scan-splits/<int:pk>/resume/", scan_views.split_job_resume_view, name="split_job_resume"),
    path("scan-batches/new/", scan_views.scan_batch_new, name="scan_batch_new"),
    path("scan-batches/<int:pk>/", scan_views.scan_batch_detail, name="scan_batch_detail"),
    path(
        "scan-batches/items/<int:pk>/settle/",
        scan_views.scan_batch_item_settle,
        name="scan_batch_item_settle",
    ),
]

from registry import api  # noqa: E402

urlpatterns += [
    path("api/records/<int:pk>/", api.record_detail, name="api_record_detail"),
    path("api/books/", api.book_create, name="api_book_create"),
]
