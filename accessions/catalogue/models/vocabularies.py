"""The vocabularies that describe records, and who gave and who may reuse them: languages,
archives, collections, subjects, places, people and organisations, types, classifications,
donors and rights statements."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.text import slugify

from accessions.catalogue.names import NameParts, split_person_name
from accessions.catalogue.rights_uris import validate_rights_uri


def make_slug(name: str, max_length: int = 200) -> str:
    """Slug for a taxonomy name; keeps non-Latin letters so Cyrillic names stay readable."""
    return slugify(name, allow_unicode=True)[:max_length].strip("-") or "item"


class Taxonomy(models.Model):
    """Shared fields of the vocabularies that describe records: a name and a URL slug."""

    name = models.CharField(max_length=255, unique=True)
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = make_slug(self.name)
        super().save(*args, **kwargs)


class Language(models.Model):
    code = models.CharField(
        "ISO 639 code",
        max_length=3,
        unique=True,
        validators=[RegexValidator(r"^[a-z]{2,3}$", "Use a lower-case ISO 639-1 or 639-3 code.")],
    )
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def slug(self):
        return self.code


class Repository(Taxonomy):
    """The archive that holds the original document."""

    location = models.CharField(max_length=255, blank=True)
    url = models.URLField(blank=True)

    class Meta(Taxonomy.Meta):
        verbose_name_plural = "repositories"


class Collection(Taxonomy):
    description = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta(Taxonomy.Meta):
        pass

    def get_absolute_url(self):
        return reverse("accessions:collection_detail", args=[self.slug])


class Subject(Taxonomy):
    """A subject heading such as “Japan--Foreign relations--Taiwan”."""


class Place(Taxonomy):
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )


class Agent(Taxonomy):
    """A person or an organisation that wrote a document or appears in it.

    `name` is the heading as catalogued; a person also has the parts citations need, split
    from the heading when first saved (accessions.catalogue.names) and corrected by staff.
    """

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANIZATION = "organization", "Organisation"

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PERSON)
    family_name = models.CharField(
        max_length=255,
        blank=True,
        help_text="Persons only. Left empty, the parts are split from the name when saved.",
    )
    given_name = models.CharField(max_length=255, blank=True)
    name_particle = models.CharField(
        "particle",
        max_length=50,
        blank=True,
        help_text="Written before the family name and kept with it: de, van, von.",
    )
    name_suffix = models.CharField("suffix", max_length=50, blank=True, help_text="Jr., III")
    family_name_first = models.BooleanField(
        "family name first",
        default=False,
        help_text="Running text puts the family name first (Chinese, Korean, Japanese, "
        "Hungarian names): “Mao Zedong”. Citations invert every name the same way.",
    )

    class Meta(Taxonomy.Meta):
        constraints = [
            # Citations invert a person by the family name and keep an organisation whole.
            models.CheckConstraint(
                condition=(Q(kind="person") & ~Q(family_name=""))
                | Q(
                    kind="organization",
                    family_name="",
                    given_name="",
                    name_particle="",
                    name_suffix="",
                    family_name_first=False,
                ),
                name="agent_name_parts_by_kind",
            )
        ]

    def save(self, *args, **kwargs):
        self.derive_name_parts()
        super().save(*args, **kwargs)

    def derive_name_parts(self) -> None:
        """An organisation has no parts; a person without a family name gets them split."""
        if self.kind == self.Kind.ORGANIZATION:
            self.set_name_parts(NameParts())
        elif not self.family_name.strip():
            self.set_name_parts(split_person_name(self.name))

    def set_name_parts(self, parts: NameParts) -> None:
        self.family_name, self.given_name = parts.family, parts.given
        self.name_particle, self.name_suffix = parts.particle, parts.suffix
        self.family_name_first = parts.family_first

    @property
    def name_parts(self) -> NameParts:
        return NameParts(
            family=self.family_name,
            given=self.given_name,
            particle=self.name_particle,
            suffix=self.name_suffix,
            family_first=self.family_name_first,
        )


class DocumentType(Taxonomy):
    """Letter, cipher telegram, memorandum of conversation…"""


class Classification(Taxonomy):
    """The original security classification, e.g. Top Secret."""


class Donor(models.Model):
    """A person or organisation that gave material or funded its publication.

    Contact details are for staff with the rights-manager permission and never rendered
    on a public page.
    """

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANIZATION = "organization", "Organisation"

    name = models.CharField(max_length=255, unique=True)
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ORGANIZATION)
    credit = models.CharField(
        "public credit wording",
        max_length=255,
        blank=True,
        help_text="How record pages name this donor; the name is used when blank.",
    )
    is_funder = models.BooleanField(
        "funder",
        default=False,
        help_text="Funders are credited on record pages. Records made from an accession "
        "carry over only the accession's funders, never private acquisition donors.",
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    address = models.TextField(blank=True)
    contact_notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        permissions = [("view_donor_contact", "Can view donors' contact details")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = make_slug(self.name)
        super().save(*args, **kwargs)

    @property
    def public_credit(self) -> str:
        return self.credit or self.name


class RightsStatement(models.Model):
    name = models.CharField(max_length=255, unique=True)
    statement = models.TextField(help_text="The public rights and reuse statement.")
    uri = models.URLField(
        "rights URI",
        blank=True,
        validators=[validate_rights_uri],
        help_text="A rightsstatements.org or creativecommons.org URI.",
    )
    inquiry_contact = models.CharField(
        max_length=255,
        blank=True,
        help_text="Who answers permission requests, e.g. “the History and Public Policy Program”.",
    )
    inquiry_email = models.EmailField(
        blank=True, help_text="Where requests for permission are sent."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
