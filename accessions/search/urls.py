"""Home, collections, search and its "show all" facet lists (`accessions` namespace)."""

from django.urls import path

from accessions.search import views

urlpatterns = [
    path("", views.home, name="home"),
    path("collections/", views.collection_list, name="collection_list"),
    path("collections/<str:slug>/", views.collection_detail, name="collection_detail"),
    path("search/", views.search, name="search"),
    path("search/filters/<str:param>/", views.search_facet, name="search_facet"),
]
