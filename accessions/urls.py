from django.urls import path

from accessions import export_views, search_views, views

app_name = "accessions"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", search_views.search, name="search"),
    path(
        "search/export.<str:export_format>",
        export_views.search_export,
        name="search_export",
    ),
    path("document/<int:record_id>/", views.record_detail, name="record_detail"),
    path("collections/", views.collection_list, name="collection_list"),
    path("collections/<str:slug>/", views.collection_detail, name="collection_detail"),
    path(
        "collections/<str:slug>/export.<str:export_format>",
        export_views.collection_export,
        name="collection_export",
    ),
]
