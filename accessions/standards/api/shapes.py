"""The shapes of the read API's answers, for the generated OpenAPI description.

The answers themselves are built by the dict builders in views.py (record_summary,
record_full); these serializers only describe them, and the tests check every answer
against the description they generate.
"""

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What was wrong with the request, in words.")


class NamedSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()


class LanguageSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="ISO 639 code")
    name = serializers.CharField()


class RecordSummarySerializer(serializers.Serializer):
    record_id = serializers.IntegerField(min_value=1)
    title = serializers.CharField()
    date = serializers.CharField(
        help_text="The document date as the record page shows it, e.g. “Undated”."
    )
    date_edtf = serializers.CharField(
        help_text="The document date in EDTF (ISO 8601-2), e.g. “1962~”; empty if not dated."
    )
    date_start = serializers.DateField(allow_null=True)
    date_end = serializers.DateField(allow_null=True)
    summary = serializers.CharField()
    document_type = serializers.CharField(allow_null=True)
    languages = LanguageSerializer(many=True)
    authors = NamedSerializer(many=True)
    collections = NamedSerializer(many=True)
    url = serializers.URLField(help_text="The public record page.")
    api_url = serializers.URLField()


class RightsSerializer(serializers.Serializer):
    name = serializers.CharField()
    statement = serializers.CharField()
    uri = serializers.CharField(allow_null=True)


class TextSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["transcript", "translation"])
    language = serializers.CharField(allow_null=True)
    is_main = serializers.BooleanField()
    credit = serializers.CharField()
    body = serializers.CharField()


class CitationLinksSerializer(serializers.Serializer):
    """Downloads: BibTeX (bib), RIS (ris) and CSL-JSON (json)."""

    bib = serializers.URLField()
    ris = serializers.URLField()
    json = serializers.URLField()


class RecordSerializer(RecordSummarySerializer):
    source = serializers.CharField()
    original_archive = serializers.CharField(allow_null=True)
    original_classification = serializers.CharField(allow_null=True)
    subjects = NamedSerializer(many=True)
    places = NamedSerializer(many=True)
    people_and_organizations = NamedSerializer(many=True)
    funders = serializers.ListField(child=serializers.CharField())
    rights = RightsSerializer(allow_null=True)
    original_upload_date = serializers.DateField(allow_null=True)
    texts = TextSerializer(many=True)
    citations = CitationLinksSerializer()


class RecordPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=0)
    count_is_estimate = serializers.BooleanField(
        help_text="True when so many records match that count is estimated."
    )
    page = serializers.IntegerField(min_value=1)
    pages = serializers.IntegerField(min_value=1)
    page_size = serializers.IntegerField(min_value=1)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RecordSummarySerializer(many=True)


class CollectionSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()
    description = serializers.CharField()
    parent = serializers.CharField(allow_null=True, help_text="The parent collection's slug.")
    published_count = serializers.IntegerField(min_value=0)
    url = serializers.URLField()
    records_url = serializers.URLField()


class CollectionListSerializer(serializers.Serializer):
    results = CollectionSerializer(many=True)
