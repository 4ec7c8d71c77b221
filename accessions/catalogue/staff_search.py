"""The record admin's search: staff find records of every status, drafts included.

Each term of the search box must match, as in Django's own admin search. A term matches a
record when it is the record's ID, when its words are in the title or summary, or when it
is part of the number of the record's accession. On PostgreSQL a word also matches the
words it begins ("telegr" finds "telegrams"); on SQLite a term matches anywhere in the text.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connections
from django.db.models import Q
from django.utils.text import smart_split, unescape_string_literal

from accessions.catalogue.models import Accession

# Migration 0016 makes this configuration (PostgreSQL's 'simple' one, folding accents) and a
# GIN index on the words of title and summary, written as the SQL that staff_document()
# builds: PostgreSQL uses the index only for a query with the same expression (a test in
# tests/catalogue/test_admin_at_scale.py reads the plan).
SEARCH_CONFIG = "archive_admin_search"
# Letters and digits: PostgreSQL's parser splits words on everything else.
WORD = re.compile(r"[^\W_]+")
# Shorter words are matched whole: as prefixes, "a" or "of" would match most of the index.
PREFIX_MIN_LENGTH = 3
# record_id is a PostgreSQL integer; a longer number cannot be an ID.
MAX_RECORD_ID = 2**31 - 1


def staff_document() -> SearchVector:
    """The words of a record's title and summary, as migration 0016 indexes them."""
    return SearchVector("title", "summary", config=SEARCH_CONFIG)


def search_terms(text: str) -> list[str]:
    """The terms of the search box, split as Django's admin does: "a phrase" is one term."""
    terms = []
    for term in smart_split(text):
        if term[:1] in ('"', "'") and term[0] == term[-1] and len(term) > 1:
            term = unescape_string_literal(term)
        if term.strip():
            terms.append(term.strip())
    return terms


def search_records(queryset, text: str):
    """The records of `queryset` that every term of `text` matches."""
    postgresql = connections[queryset.db].vendor == "postgresql"
    if postgresql:
        queryset = queryset.alias(staff_document=staff_document())
    for term in search_terms(text):
        # Punctuation alone has no words to look for; it is left out, as the public search does.
        if WORD.search(term):
            queryset = queryset.filter(_term_condition(term, postgresql))
    return queryset


def _term_condition(term: str, postgresql: bool) -> Q:
    words = WORD.findall(term)
    if postgresql:
        # Written from letters and digits only, so the query syntax cannot be broken.
        query = " <-> ".join(
            f"{word}:*" if len(word) >= PREFIX_MIN_LENGTH else word for word in words
        )
        condition = Q(staff_document=SearchQuery(query, search_type="raw", config=SEARCH_CONFIG))
    else:
        # SQLite reads every record, for the page and for the count: a sixth of a second at
        # 100,000 records for a rare word. An FTS5 table kept by triggers would be quicker,
        # but SQLite drops a table's triggers whenever a migration rebuilds the table.
        condition = Q(title__icontains=term) | Q(summary__icontains=term)
    if term.isdigit() and int(term) <= MAX_RECORD_ID:
        condition |= Q(record_id=int(term))
    if any(character.isdigit() for character in term):
        # The accessions are looked up first: a condition on the joined accession table
        # would keep PostgreSQL from combining the record indexes, and it would read every
        # record instead.
        accessions = list(
            Accession.objects.filter(number__icontains=term).values_list("pk", flat=True)
        )
        if accessions:
            condition |= Q(accession__in=accessions)
    return condition
