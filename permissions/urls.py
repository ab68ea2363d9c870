from django.urls import path

from permissions import audit_views, views

urlpatterns = [
    path("start/", views.landing, name="landing"),
    path("audit/", audit_views.trail, name="audit_trail"),
    path("people/", views.people, name="people"),
    path("people/revoke/<int:unit_role_id>/<int:user_id>/", views.revoke, name="people_revoke"),
]
