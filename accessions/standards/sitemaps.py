"""Sitemaps for search engines: published records and the collections the public can see."""

from django.contrib.sitemaps import Sitemap

from accessions.catalogue.models import Record
from accessions.search.browse import visible_collections


class RecordSitemap(Sitemap):
    changefreq = "monthly"
    # Well under the protocol's 50,000 URLs per file, so each section stays a quick query.
    limit = 10_000

    def items(self):
        return Record.objects.published().only("record_id", "updated_at").order_by("record_id")

    def lastmod(self, record):
        return record.updated_at


class CollectionSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return visible_collections().only("slug").order_by("slug")


SITEMAPS = {"records": RecordSitemap, "collections": CollectionSitemap}
