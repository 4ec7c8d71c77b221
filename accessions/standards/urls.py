"""URLs of the open-standards surfaces: OAI-PMH, citation downloads, feed, sitemap, read API."""

from django.urls import path

from accessions.standards import sitemaps
from accessions.standards.api import views as api
from accessions.standards.citations.views import cite
from accessions.standards.feeds import RecentDocumentsFeed
from accessions.standards.oai import views as oai_views

app_name = "standards"

urlpatterns = [
    path("oai/", oai_views.endpoint, name="oai"),
    path("document/<int:record_id>/cite.<str:extension>", cite, name="record_cite"),
    path("feeds/documents.atom", RecentDocumentsFeed(), name="feed"),
    path("sitemap.xml", sitemaps.index, name="sitemap"),
    path("sitemap-records-<int:number>.xml", sitemaps.records, name="sitemap_records"),
    path("sitemap-collections.xml", sitemaps.collections, name="sitemap_collections"),
    path("robots.txt", sitemaps.robots, name="robots"),
    path("api/", api.documentation, name="api"),
    path("api/openapi.json", api.openapi, name="api_openapi"),
    path("api/records/", api.record_list, name="api_records"),
    path("api/records/<int:record_id>/", api.record_detail, name="api_record"),
    path("api/collections/", api.collection_list, name="api_collections"),
    path("api/collections/<str:slug>/", api.collection_detail, name="api_collection"),
]
