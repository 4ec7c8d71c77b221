"""URLs of the open-standards surfaces: OAI-PMH, citation downloads, feed, sitemap, read API."""

from django.urls import include, path

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
    path("api/openapi.json", api.OpenApiView.as_view(), name="api_openapi"),
    path("api/docs/", api.SwaggerView.as_view(), name="api_docs"),
    path("api/records/", api.RecordListView.as_view(), name="api_records"),
    path("api/records/<int:record_id>/", api.RecordDetailView.as_view(), name="api_record"),
    path("api/collections/", api.CollectionListView.as_view(), name="api_collections"),
    path("api/collections/<str:slug>/", api.CollectionDetailView.as_view(), name="api_collection"),
    path("api/staff/", include("accessions.standards.api.staff_urls")),
]
