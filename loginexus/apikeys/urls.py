"""Pages of API keys on a tenant host, under /settings/api-keys/."""

from django.urls import path

from loginexus.apikeys import views

app_name = "apikeys"

urlpatterns = [
    path("", views.api_keys, name="index"),
    path("<int:pk>/revoke/", views.api_key_revoke_page, name="revoke"),
]
