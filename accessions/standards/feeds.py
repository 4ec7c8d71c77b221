"""Atom feed of newly published documents, for the whole archive or one collection.

Valid by RFC 4287: the archive is the feed's author, so that an entry without authors
inherits one (section 4.1.1); an entry names each of its authors in its own atom:author;
the feed's id is its own URL, distinct for each collection's feed.
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from accessions.catalogue.models import Collection, Record
from accessions.search.browse import visible_collections
from accessions.standards.xml_text import xml_text

FEED_LENGTH = 50


class AtomFeedWithAuthors(Atom1Feed):
    """Django's Atom feed, with one atom:author per name in an item's `authors`."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name in item.get("authors", []):
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            handler.endElement("author")


class RecentDocumentsFeed(Feed):
    feed_type = AtomFeedWithAuthors

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        # Django would take the HTML page's URL; the feed's own URL tells the feeds apart.
        feed.feed["id"] = feed.feed["feed_url"]
        return feed

    def get_object(self, request) -> Collection | None:
        """The collection named by ?collection=slug; unknown or unpublished ones are 404."""
        slug = request.GET.get("collection")
        if not slug:
            return None
        return get_object_or_404(visible_collections(), slug=slug)

    # Every text goes through xml_text: Django's feed writer refuses the control characters
    # that staff text pasted from old word processors may hold, with a server error.
    def title(self, collection):
        if collection:
            return xml_text(f"{collection.name}: newly published documents | {settings.SITE_NAME}")
        return f"Newly published documents | {settings.SITE_NAME}"

    def subtitle(self, collection):
        return xml_text(collection.description) if collection and collection.description else None

    def link(self, collection):
        return collection.get_absolute_url() if collection else reverse("accessions:home")

    def feed_url(self, collection):
        url = reverse("standards:feed")
        return f"{url}?collection={collection.slug}" if collection else url

    def items(self, collection):
        records = Record.objects.published()
        if collection:
            records = records.filter(collections=collection)
        return records.prefetch_related("authors", "subjects").order_by(
            "-published_at", "-record_id"
        )[:FEED_LENGTH]

    def item_title(self, record):
        return xml_text(record.title)

    def item_description(self, record):
        return xml_text(record.summary)

    def item_pubdate(self, record):
        return record.published_at

    def item_updateddate(self, record):
        return record.updated_at

    def author_name(self, collection):
        return settings.SITE_NAME

    def item_extra_kwargs(self, record):
        return {"authors": [xml_text(agent.name) for agent in record.authors.all()]}

    def item_categories(self, record):
        return [xml_text(subject.name) for subject in record.subjects.all()]
