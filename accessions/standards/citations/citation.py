"""What a citation says of a record: its names, its date, its title, where it is found."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings

from accessions.catalogue.models import Agent, Record
from accessions.catalogue.names import clean_heading, in_east_asian_script


def joined(*parts: str, separator: str = " ") -> str:
    return separator.join(part for part in parts if part)


@dataclass(frozen=True)
class Name:
    """An author: a person's name parts (accessions.catalogue.names), or an organisation's
    name kept whole as a literal."""

    family: str = ""
    given: str = ""
    particle: str = ""
    suffix: str = ""
    family_first: bool = False
    literal: str = ""

    @classmethod
    def from_agent(cls, agent: Agent) -> "Name":
        if agent.kind == Agent.Kind.PERSON and agent.family_name:
            return cls(
                family=agent.family_name,
                given=agent.given_name,
                particle=agent.name_particle,
                suffix=agent.name_suffix,
                family_first=agent.family_name_first,
            )
        return cls(literal=clean_heading(agent.name) or agent.name)

    @property
    def is_east_asian_script(self) -> bool:
        """Han, kana or Hangul: written family then given name, with no space between."""
        return in_east_asian_script(self.family)

    @property
    def family_with_particle(self) -> str:
        return joined(self.particle, self.family)

    @property
    def inverted(self) -> str:
        """“Kennan, George F.”, “de Gaulle, Charles”, “King, Martin Luther, Jr.”."""
        if self.literal:
            return self.literal
        if self.is_east_asian_script:
            return self.family + self.given
        return joined(self.family_with_particle, self.given, self.suffix, separator=", ")

    @property
    def natural(self) -> str:
        """Running text: “George F. Kennan”, “Mao Zedong”, “毛泽东”."""
        if self.literal:
            return self.literal
        if self.is_east_asian_script:
            return self.family + self.given
        if self.family_first:
            return joined(self.family, self.given)
        return joined(self.given, self.family_with_particle, self.suffix)


@dataclass(frozen=True)
class DocumentDate:
    """The document date at the precision staff gave: year, month and day may each be absent."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    end_year: int | None = None
    approximate: bool = False

    @classmethod
    def from_record(cls, record: Record) -> "DocumentDate":
        start, end = record.date_start, record.date_end
        if start is None:
            return cls()
        approximate = record.date_approximate
        if start == end:
            return cls(start.year, start.month, start.day, approximate=approximate)
        if start.year == end.year and (start.month, start.day, end.month, end.day) == (
            1,
            1,
            12,
            31,
        ):
            return cls(start.year, approximate=approximate)
        if (start.year, start.month) == (end.year, end.month) and start.day == 1:
            return cls(start.year, start.month, approximate=approximate)
        return cls(start.year, end_year=end.year, approximate=approximate)


@dataclass(frozen=True)
class Citation:
    """Everything a citation needs, read once from a record whose relations are prefetched."""

    record_id: int
    title: str
    authors: list[Name]
    date: DocumentDate
    date_display: str
    document_type: str
    source: str
    archive: str
    summary: str
    languages: list[str]
    subjects: list[str]
    url: str
    site_name: str
    accessed: date

    @classmethod
    def from_record(cls, record: Record, *, url: str, accessed: date) -> "Citation":
        return cls(
            record_id=record.record_id,
            title=record.title,
            authors=[Name.from_agent(agent) for agent in record.authors.all()],
            date=DocumentDate.from_record(record),
            date_display=record.date_display,
            document_type=record.document_type.name if record.document_type else "",
            source=record.source.strip(),
            archive=record.original_archive.name if record.original_archive else "",
            summary=record.summary.strip(),
            languages=[language.code for language in record.languages.all()],
            subjects=[subject.name for subject in record.subjects.all()],
            url=url,
            site_name=settings.SITE_NAME,
            accessed=accessed,
        )
