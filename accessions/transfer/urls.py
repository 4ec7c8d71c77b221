"""Public CSV and JSON exports of search results and collections (`accessions` namespace)."""

from django.urls import path

from accessions.transfer import views

urlpatterns = [
    path("search/export.<str:export_format>", views.search_export, name="search_export"),
    path(
        "collections/<str:slug>/export.<str:export_format>",
        views.collection_export,
        name="collection_export",
    ),
]
