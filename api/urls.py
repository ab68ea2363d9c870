from django.urls import path

from api import legacy, token_views
from api.v1 import api as api_v1

urlpatterns = [
    path("api/v1/", api_v1.urls),
    # The first, unversioned endpoints (scripts use them; /api/v1/ is the documented API).
    path("api/records/<int:pk>/", legacy.record_detail, name="api_record_detail"),
    path("api/books/", legacy.book_create, name="api_book_create"),
    path("accounts/me/tokens/", token_views.token_list, name="api_tokens"),
    path("accounts/me/tokens/<int:pk>/revoke/", token_views.token_revoke, name="api_token_revoke"),
]
