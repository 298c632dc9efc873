"""Escrow pages of a tenant host."""

from django.urls import path

from escrows import views

app_name = "escrows"

urlpatterns = [
    path("", views.escrow_index, name="index"),
    path("new/", views.escrow_new, name="new"),
    path("<int:pk>/", views.escrow_show, name="detail"),
    path("<int:pk>/<slug:action>/", views.escrow_act, name="act"),
]
