"""Public filters over published records (the search issue extends these)."""

import django_filters
from django.db.models import Q

from accessions.models import Record


class RecordFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_keyword", label="Keywords")
    subject = django_filters.CharFilter(field_name="subjects__slug", label="Subject")
    place = django_filters.CharFilter(field_name="places__slug", label="Place")
    person = django_filters.CharFilter(method="filter_person", label="Person or organisation")
    collection = django_filters.CharFilter(field_name="collections__slug", label="Collection")
    language = django_filters.CharFilter(field_name="languages__code", label="Language")
    repository = django_filters.CharFilter(
        field_name="original_archive__slug", label="Original archive"
    )
    donor = django_filters.CharFilter(field_name="donors__slug", label="Donor")
    classification = django_filters.CharFilter(
        field_name="original_classification__slug", label="Classification"
    )
    type = django_filters.CharFilter(field_name="document_type__slug", label="Type")

    class Meta:
        model = Record
        fields = []

    def filter_keyword(self, queryset, name, value):
        for word in value.split()[:20]:
            queryset = queryset.filter(Q(title__icontains=word) | Q(summary__icontains=word))
        return queryset

    def filter_person(self, queryset, name, value):
        return queryset.filter(Q(authors__slug=value) | Q(people_and_organizations__slug=value))
