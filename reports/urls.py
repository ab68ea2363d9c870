from django.urls import path

from reports import views

urlpatterns = [
    path("", views.dashboard, name="progress_dashboard"),
    path("inventory/", views.inventory, name="progress_inventory"),
    path("statistics/", views.statistics, name="progress_statistics"),
    path("civil-data/", views.civil_statistics, name="progress_civil_statistics"),
    path("civil-data/xlsx/", views.civil_statistics_xlsx, name="progress_civil_statistics_xlsx"),
    path("condition/", views.condition, name="progress_condition"),
    path("condition/xlsx/", views.condition_xlsx, name="progress_condition_xlsx"),
    path("condition/pdf/", views.condition_pdf, name="progress_condition_pdf"),
    path("quotas/", views.quotas, name="progress_quotas"),
    path("plan/", views.plan, name="progress_plan"),
    path("keying/", views.keying_quality, name="progress_keying"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/xlsx/", views.report_download_xlsx, name="report_xlsx"),
    path("reports/<int:pk>/pdf/", views.report_download_pdf, name="report_pdf"),
    path("periods/<int:pk>/", views.period_report_detail, name="period_report_detail"),
    path("periods/<int:pk>/xlsx/", views.period_report_xlsx_view, name="period_report_xlsx"),
    path("periods/<int:pk>/pdf/", views.period_report_pdf_view, name="period_report_pdf"),
]
