"""The search page and its "show all" facet lists (names under the `accessions` namespace)."""

from django.urls import path

from accessions.search import views

urlpatterns = [
    path("search/", views.search, name="search"),
    path("search/filters/<str:param>/", views.search_facet, name="search_facet"),
]
