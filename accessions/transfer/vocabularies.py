"""Name → id lookups for the taxonomies an import refers to, cached and created in bulk."""

from django.db.models import Q

from accessions.catalogue.models import (
    Agent,
    Classification,
    Collection,
    DocumentType,
    Donor,
    Language,
    Place,
    Repository,
    RightsStatement,
    Subject,
    make_slug,
)
from accessions.catalogue.names import looks_like_organisation, split_person_name

SLUG_LENGTH = 200
NAME_LENGTH = 255


class Vocabulary:
    """Resolves names to primary keys for one taxonomy model; unknown names wait in `pending`."""

    creates = True

    def __init__(self, model, **defaults):
        self.model = model
        self.defaults = defaults
        self.cache: dict[str, int] = {}
        self.absent: set[str] = set()  # looked up and not in the database
        self.created_names: set[str] = set()

    def prime(self, names: set[str]) -> None:
        """Look up, in one query, the names not seen before."""
        unknown = names - self.cache.keys() - self.absent
        if not unknown:
            return
        found = dict(self._lookup(unknown))
        self.cache.update(found)
        self.absent |= unknown - found.keys()

    def _lookup(self, names: set[str]):
        return self.model.objects.filter(name__in=names).values_list("name", "id")

    def get(self, name: str) -> int | None:
        """The name's id, or None when the import would create it."""
        return self.cache.get(name)

    def is_known(self, name: str) -> bool:
        return name in self.cache or name in self.absent

    def create_missing(self, names: set[str]) -> None:
        """Create, in one insert, the names that do not exist yet, each with a unique slug."""
        missing = sorted(name for name in names if name not in self.cache)
        if not missing:
            return
        slugs = self._unique_slugs(missing)
        objects = [self.new_object(name, slugs[name]) for name in missing]
        self.model.objects.bulk_create(objects)
        if any(obj.pk is None for obj in objects):
            # Databases that cannot return ids from a bulk insert: look them up.
            self.cache.update(self._lookup(set(missing)))
        else:
            self.cache.update((obj.name, obj.pk) for obj in objects)
        self.absent -= set(missing)
        self.created_names.update(missing)

    def new_object(self, name: str, slug: str):
        """The unsaved row of a new name; bulk_create skips save(), so it is complete here."""
        return self.model(name=name, slug=slug, **self.defaults)

    def _unique_slugs(self, names: list[str]) -> dict[str, str]:
        bases = {name: make_slug(name, SLUG_LENGTH) for name in names}
        taken = set(
            self.model.objects.filter(slug__in=set(bases.values())).values_list("slug", flat=True)
        )
        slugs = {}
        for name, base in bases.items():
            slug, suffix = base, 1
            while slug in taken:
                suffix += 1
                slug = f"{base[: SLUG_LENGTH - len(str(suffix)) - 1]}-{suffix}"
                if self.model.objects.filter(slug=slug).exists():
                    taken.add(slug)
            taken.add(slug)
            slugs[name] = slug
        return slugs


class AgentVocabulary(Vocabulary):
    """New people and organisations: the kind guessed from the heading, a person's name
    split into parts once, as Agent.save() would."""

    def __init__(self):
        super().__init__(Agent)

    def new_object(self, name, slug):
        if looks_like_organisation(name):
            return Agent(name=name, slug=slug, kind=Agent.Kind.ORGANIZATION)
        agent = Agent(name=name, slug=slug, kind=Agent.Kind.PERSON)
        agent.set_name_parts(split_person_name(name))
        return agent


class LanguageVocabulary(Vocabulary):
    """Languages are matched by ISO code or English name and never created by an import."""

    creates = False

    def __init__(self):
        super().__init__(Language)
        for pk, code, name in Language.objects.values_list("id", "code", "name"):
            self.cache[code.lower()] = pk
            self.cache[name.lower()] = pk

    def prime(self, names):
        self.absent |= {name for name in names if name.lower() not in self.cache}

    def get(self, name):
        return self.cache.get(name.lower())

    def is_known(self, name):
        return True


class RightsVocabulary(Vocabulary):
    """Rights statements are matched by name or by their full statement text."""

    def __init__(self, *, creates: bool):
        super().__init__(RightsStatement)
        self.creates = creates

    def _lookup(self, names):
        found = []
        for pk, name, statement in RightsStatement.objects.filter(
            Q(name__in=names) | Q(statement__in=names)
        ).values_list("id", "name", "statement"):
            found += [(name, pk), (statement, pk)]
        return [(key, pk) for key, pk in found if key in names]

    def create_missing(self, names):
        missing = sorted(name for name in names if name not in self.cache)
        for statement in missing:
            # The statement text itself is the only name the source gives.
            rights = RightsStatement.objects.create(
                name=statement[:NAME_LENGTH], statement=statement
            )
            self.cache[statement] = rights.pk
            self.created_names.add(statement)
        self.absent -= set(missing)


def vocabularies_for(*, creates_rights: bool) -> dict[str, Vocabulary]:
    """One vocabulary per record field; authors and people share the agents' cache."""
    agents = AgentVocabulary()
    return {
        "original_archive": Vocabulary(Repository),
        "original_classification": Vocabulary(Classification),
        "document_type": Vocabulary(DocumentType),
        "rights": RightsVocabulary(creates=creates_rights),
        "languages": LanguageVocabulary(),
        "authors": agents,
        "people_and_organizations": agents,
        "places": Vocabulary(Place),
        "subjects": Vocabulary(Subject),
        "collections": Vocabulary(Collection),
        # Donors credited on a record are its funders.
        "donors": Vocabulary(Donor, is_funder=True),
    }
