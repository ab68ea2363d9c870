from django.urls import path

from transfer import views

urlpatterns = [
    path("", views.transfer_overview, name="transfer_overview"),
    path("retry/", views.transfer_retry, name="transfer_retry"),
    path("exports/", views.export_list, name="transfer_exports"),
    path("exports/datacentre/", views.datacentre_request, name="transfer_datacentre"),
    path("exports/<int:pk>/download/", views.export_download, name="transfer_export_download"),
    path("books/<int:pk>/ministry.<str:fmt>", views.ministry_download, name="transfer_ministry"),
    path("reconciliation/", views.reconciliation, name="transfer_reconciliation"),
    path("reconciliation/police.xlsx", views.police_list_download, name="transfer_police_list"),
    path("reconciliation/<int:pk>/resolve/", views.reconciliation_resolve, name="transfer_resolve"),
]
