"""Which collections the public may see: those holding published records, and their parents."""

from django.db.models import Count, Q

from accessions.catalogue.models import Collection, Record


def visible_collections():
    """Collections with a published record in them or in a sub-collection, with counts."""
    direct = set(
        Collection.objects.filter(records__status=Record.Status.PUBLISHED)
        .values_list("id", flat=True)
        .distinct()
    )
    parents = dict(Collection.objects.values_list("id", "parent_id"))
    visible = set()
    for collection_id in direct:
        # Walk up the tree; the guard stops on a (corrupt) cycle.
        while collection_id and collection_id not in visible:
            visible.add(collection_id)
            collection_id = parents.get(collection_id)
    return Collection.objects.filter(id__in=visible).annotate(
        published_count=Count("records", filter=Q(records__status=Record.Status.PUBLISHED))
    )
