"""The record pages (names under the `accessions` namespace)."""

from django.urls import path

from accessions.catalogue import views

urlpatterns = [
    path("document/<int:record_id>/", views.record_detail, name="record_detail"),
]
