"""What the staff API reads and writes: records, texts, accessions, donors, vocabulary terms.

The serializers check types and references; the operations they feed (catalogue.editing)
run the models' own validation, the same as the admin's.
"""

from django.core.validators import validate_unicode_slug
from rest_framework import serializers

from accessions.catalogue.models import (
    Accession,
    Agent,
    Classification,
    Collection,
    DocumentType,
    Donor,
    Language,
    Place,
    Record,
    RecordText,
    Repository,
    RightsStatement,
    Subject,
)
from accessions.catalogue.parameters import INTEGER_LIMIT
from accessions.scans.models import Scan

DONOR_CONTACT_FIELDS = ("email", "phone", "address", "contact_notes")


def _unicode_slug(value: str) -> None:
    # Wrapped, so that the description carries no pattern: JSON Schema's \w is ASCII only.
    validate_unicode_slug(value)


def _slug_field() -> serializers.CharField:
    # Slugs keep non-Latin letters. The model's own validation (uniqueness included) runs in
    # the operation that saves.
    return serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        validators=[_unicode_slug],
        help_text="Letters, digits, hyphens, underscores; made from the name when left empty.",
    )


def _by_slug(model, many: bool = False, **kwargs):
    return serializers.SlugRelatedField(
        slug_field="slug", queryset=model.objects.all(), many=many, required=False, **kwargs
    )


class StaffRecordSerializer(serializers.ModelSerializer):
    record_id = serializers.IntegerField(
        min_value=1,
        max_value=INTEGER_LIMIT,
        required=False,
        help_text="Left out, the next free number. Permanent once given.",
    )
    original_archive = _by_slug(Repository, allow_null=True)
    original_classification = _by_slug(Classification, allow_null=True)
    document_type = _by_slug(DocumentType, allow_null=True)
    languages = serializers.SlugRelatedField(
        slug_field="code", queryset=Language.objects.all(), many=True, required=False
    )
    authors = _by_slug(Agent, many=True)
    people_and_organizations = _by_slug(Agent, many=True)
    places = _by_slug(Place, many=True)
    subjects = _by_slug(Subject, many=True)
    collections = _by_slug(Collection, many=True)
    donors = _by_slug(Donor, many=True)
    rights = serializers.PrimaryKeyRelatedField(
        queryset=RightsStatement.objects.all(), allow_null=True, required=False
    )
    accession = serializers.SlugRelatedField(
        slug_field="number", queryset=Accession.objects.all(), allow_null=True, required=False
    )
    url = serializers.SerializerMethodField(help_text="The public page, once published.")

    class Meta:
        model = Record
        fields = [
            "record_id",
            "status",
            "title",
            "date_text",
            "date_edtf",
            "date_display",
            "date_start",
            "date_end",
            "summary",
            "source",
            "rights",
            "original_upload_date",
            "languages",
            "original_archive",
            "original_classification",
            "document_type",
            "authors",
            "people_and_organizations",
            "places",
            "subjects",
            "collections",
            "donors",
            "accession",
            "staff_notes",
            "published_at",
            "created_at",
            "updated_at",
            "url",
        ]
        read_only_fields = [
            "status",
            "date_edtf",
            "date_display",
            "date_start",
            "date_end",
            "published_at",
            "created_at",
            "updated_at",
        ]

    def get_url(self, record) -> str:
        return self.context["request"].build_absolute_uri(record.get_absolute_url())

    def validate_record_id(self, value):
        if self.instance is not None and value != self.instance.record_id:
            raise serializers.ValidationError("A record ID is permanent; it cannot change.")
        return value


class StaffTextSerializer(serializers.ModelSerializer):
    language = serializers.SlugRelatedField(
        slug_field="code", queryset=Language.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = RecordText
        fields = ["id", "kind", "language", "is_primary", "position", "credit", "body"]


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["submit", "publish", "withdraw", "return_to_draft"])
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ScanUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A JPEG, PNG, TIFF, WebP or PDF scan.")
    kind = serializers.ChoiceField(choices=Scan.Kind.choices, default=Scan.Kind.ORIGINAL)
    label = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class ScanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Scan
        fields = [
            "id",
            "original_filename",
            "media_type",
            "size_bytes",
            "sha256",
            "page_count",
            "kind",
            "label",
            "position",
        ]
        read_only_fields = fields


class StaffAccessionSerializer(serializers.ModelSerializer):
    donors = _by_slug(Donor, many=True)

    class Meta:
        model = Accession
        fields = [
            "number",
            "title",
            "date_received",
            "acquisition_method",
            "donors",
            "extent",
            "scope",
            "processing_status",
            "processing_priority",
            "location",
            "access_restricted",
            "access_conditions",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["number", "created_at", "updated_at"]


class StaffDonorSerializer(serializers.ModelSerializer):
    slug = _slug_field()

    class Meta:
        model = Donor
        fields = ["name", "slug", "kind", "credit", "is_funder", *DONOR_CONTACT_FIELDS]
        extra_kwargs = {
            **{
                name: {"help_text": "Rights managers only: others neither see nor set it."}
                for name in DONOR_CONTACT_FIELDS
            },
        }

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and not request.user.has_perm("accessions.view_donor_contact"):
            for name in DONOR_CONTACT_FIELDS:
                fields.pop(name)
        return fields


def _term_serializer(model, extra_fields: list[str], parent: bool = False):
    attributes = {
        "Meta": type(
            "Meta",
            (),
            {
                "model": model,
                "fields": ["name", "slug", *extra_fields, *(["parent"] if parent else [])],
            },
        ),
        "__doc__": f"A {model._meta.verbose_name}, named by its slug in URLs.",
        "slug": _slug_field(),
    }
    if parent:
        attributes["parent"] = _by_slug(model, allow_null=True)
    return type(f"{model.__name__}TermSerializer", (serializers.ModelSerializer,), attributes)


# The vocabularies by the URL segment that names them, with their own fields.
TERM_SERIALIZERS = {
    "subjects": _term_serializer(Subject, []),
    "places": _term_serializer(Place, [], parent=True),
    "agents": _term_serializer(
        Agent,
        [
            "kind",
            "family_name",
            "given_name",
            "name_particle",
            "name_suffix",
            "family_name_first",
        ],
    ),
    "collections": _term_serializer(Collection, ["description"], parent=True),
    "repositories": _term_serializer(Repository, ["location", "url"]),
    "document-types": _term_serializer(DocumentType, []),
    "classifications": _term_serializer(Classification, []),
}
