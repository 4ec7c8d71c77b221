from django.urls import path

from accessions import search_views, views

app_name = "accessions"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", search_views.search, name="search"),
    path("search/filters/<str:param>/", search_views.search_facet, name="search_facet"),
    path("document/<int:record_id>/", views.record_detail, name="record_detail"),
    path("collections/", views.collection_list, name="collection_list"),
    path("collections/<str:slug>/", views.collection_detail, name="collection_detail"),
]
