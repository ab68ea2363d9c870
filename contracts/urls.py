from django.urls import path

from contracts import views

urlpatterns = [
    path("", views.contract_list, name="contract_list"),
    path("new/", views.contract_new, name="contract_new"),
    path("contractors/new/", views.contractor_new, name="contractor_new"),
    path("<int:pk>/", views.contract_detail, name="contract_detail"),
    path("<int:pk>/lots/new/", views.lot_new, name="lot_new"),
    path("<int:pk>/lots/<int:number>/", views.lot_detail, name="lot_detail"),
    path("<int:pk>/lots/<int:number>/cases/<int:case>/", views.lot_case_inspect, name="lot_case_inspect"),
    path("<int:pk>/statement/", views.contract_statement, name="contract_statement"),
    path("<int:pk>/closing/", views.contract_closing, name="contract_closing"),
]
