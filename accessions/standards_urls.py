"""URLs of the open-standards surfaces: OAI-PMH, citation downloads, feed, sitemap, read API."""

from django.contrib.sitemaps import views as sitemap_views
from django.urls import path

from accessions.citation_views import cite
from accessions.feeds import RecentDocumentsFeed
from accessions.oai import views as oai_views
from accessions.sitemaps import SITEMAPS

app_name = "standards"

urlpatterns = [
    path("oai/", oai_views.endpoint, name="oai"),
    path("document/<int:record_id>/cite.<str:extension>", cite, name="record_cite"),
    path("feeds/documents.atom", RecentDocumentsFeed(), name="feed"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "standards:sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
]
