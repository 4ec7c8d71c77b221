"""Home, record pages and collections (names under the `accessions` namespace)."""

from django.urls import path

from accessions.catalogue import views

urlpatterns = [
    path("", views.home, name="home"),
    path("document/<int:record_id>/", views.record_detail, name="record_detail"),
    path("collections/", views.collection_list, name="collection_list"),
    path("collections/<str:slug>/", views.collection_detail, name="collection_detail"),
]
