from django.urls import path

from scans import views

urlpatterns = [
    path("scans/<int:pk>/", views.scan_download, name="scan_download"),
    path("records/<int:pk>/scan/", views.scan_upload, name="scan_upload"),
    path("scans/<int:pk>/view/", views.scan_view, name="scan_view"),
    path("scans/<int:pk>/pages/<int:number>/", views.scan_page, name="scan_page"),
    path("books/<int:pk>/scans/", views.book_scans, name="book_scans"),
    path("book-scans/<int:pk>/split/", views.book_scan_split, name="book_scan_split"),
    path("book-scans/<int:pk>/pages/<int:number>/", views.book_scan_page, name="book_scan_page"),
    path("scan-splits/<int:pk>/", views.split_job_detail, name="split_job_detail"),
    path("scan-splits/<int:pk>/resume/", views.split_job_resume_view, name="split_job_resume"),
    path("scan-batches/new/", views.scan_batch_new, name="scan_batch_new"),
    path("scan-batches/<int:pk>/", views.scan_batch_detail, name="scan_batch_detail"),
    path(
        "scan-batches/items/<int:pk>/settle/",
        views.scan_batch_item_settle,
        name="scan_batch_item_settle",
    ),
]
