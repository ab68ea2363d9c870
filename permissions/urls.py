from django.urls import path

from permissions import views

urlpatterns = [
    path("people/", views.people, name="people"),
    path("people/revoke/<int:unit_role_id>/<int:user_id>/", views.revoke, name="people_revoke"),
]
