from django.urls import path

from accessions import search_views, views
from accessions.citation_views import cite
from accessions.oai import views as oai_views

app_name = "accessions"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", search_views.search, name="search"),
    path("document/<int:record_id>/", views.record_detail, name="record_detail"),
    path("collections/", views.collection_list, name="collection_list"),
    path("collections/<str:slug>/", views.collection_detail, name="collection_detail"),
    path("oai/", oai_views.endpoint, name="oai"),
    path("document/<int:record_id>/cite.<str:extension>", cite, name="record_cite"),
]
