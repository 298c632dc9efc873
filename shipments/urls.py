"""Shipment pages of a tenant host."""

from django.urls import path

from shipments import views

app_name = "shipments"

urlpatterns = [
    path("", views.shipment_index, name="index"),
    path("new/", views.shipment_new, name="new"),
    path("<int:pk>/", views.shipment_show, name="detail"),
    path("<int:pk>/edit/", views.shipment_edit, name="edit"),
    path("<int:pk>/status/", views.shipment_transition, name="transition"),
    path("<int:pk>/delete/", views.shipment_delete, name="delete"),
]
