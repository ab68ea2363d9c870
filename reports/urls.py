from django.urls import path

from reports import views

urlpatterns = [
    path("", views.dashboard, name="progress_dashboard"),
    path("inventory/", views.inventory, name="progress_inventory"),
    path("statistics/", views.statistics, name="progress_statistics"),
    path("quotas/", views.quotas, name="progress_quotas"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/xlsx/", views.report_download_xlsx, name="report_xlsx"),
    path("reports/<int:pk>/pdf/", views.report_download_pdf, name="report_pdf"),
]
