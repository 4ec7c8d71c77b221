"""The public search filters: URL parameters, their validation, and how each narrows the index.

Filters work on SearchEntry, which holds published records only.
"""

import calendar
import re
from datetime import date, timedelta

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import BooleanField, F, Func, IntegerField
from django.db.models.expressions import RawSQL

from accessions.catalogue.parameters import PAGE_LIMIT, page_number
from accessions.search.facets import FACETS, FACETS_BY_NUMBER, FACETS_BY_PARAM, lookup_values
from accessions.search.indexing import FTS_TABLE, PG_CONFIG
from accessions.search.keywords import parse_keywords
from accessions.search.models import (
    DATE_SAMPLE_INDEX_STRIDES,
    FACET_KEY_BASE,
    SAMPLE_INDEX_STRIDES,
    SAMPLE_LEVEL,
    SAMPLE_LEVELS_UP_TO,
    Facet,
    SearchEntry,
    SearchFacet,
    facet_key,
    sample_index_stride,
)
from accessions.search.relevance import where_sql
from archive.database_routing import reading_connection

MAX_QUERY_LENGTH = 500
DATE_FILTERS = {"date_from", "date_to"}
# The most decades whose keys a date range adds to a search of words or facet values
# (SearchFilter._decade_keys).
MAX_DECADE_KEYS = 3
MAX_VALUES_PER_FACET = 50
PARTIAL_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?\Z")
SORTS = {
    "relevance": "Relevance",
    "date": "Date, oldest first",
    "-date": "Date, newest first",
    "title": "Title",
    "-uploaded": "Recently uploaded",
}


class PartialDateField(forms.CharField):
    """YYYY, YYYY-MM or YYYY-MM-DD, cleaned to the (first day, last day) of that period."""

    def to_python(self, value):
        value = super().to_python(value).strip()
        if not value:
            return None
        match = PARTIAL_DATE.match(value)
        if not match:
            raise forms.ValidationError(
                f"“{value[:40]}” is not a date; use YYYY, YYYY-MM or YYYY-MM-DD.", code="invalid"
            )
        year, month, day = (int(part) if part else None for part in match.groups())
        try:
            if day:
                return date(year, month, day), date(year, month, day)
            if month:
                last = calendar.monthrange(year, month)[1]
                return date(year, month, 1), date(year, month, last)
            return date(year, 1, 1), date(year, 12, 31)
        except ValueError:
            raise forms.ValidationError(
                f"“{value}” is not a real calendar date.", code="invalid"
            ) from None


class ValueListField(forms.Field):
    """A repeatable parameter (?subject=a&subject=b) as a list of distinct non-empty strings."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        values = list(dict.fromkeys(str(item).strip() for item in value if str(item).strip()))
        if any("\x00" in item for item in values):
            raise forms.ValidationError("Null characters are not allowed.", code="null_characters")
        if len(values) > MAX_VALUES_PER_FACET:
            raise forms.ValidationError(
                f"Choose at most {MAX_VALUES_PER_FACET} values for one filter.", code="too_many"
            )
        return values


class PartialDateFilter(django_filters.Filter):
    field_class = PartialDateField


class FacetFilter(django_filters.Filter):
    """Records having any of the chosen values (ORed); the form resolves slugs to ids."""

    field_class = ValueListField

    def __init__(self, *, definition, **kwargs):
        self.definition = definition
        super().__init__(label=definition.label, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        ids = [label.id for label in value]
        return self.parent.having_any(qs, self.definition.facet, ids)


class Unindexed(Func):
    """A column's value, written `+column` on SQLite so that its planner cannot use the index.

    SQLite knows no more about a date range than "about a quarter of the rows": it would let
    the date index drive a search that a rare word's few matches should drive, and read most
    of the archive through it.
    """

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="+%(expressions)s", **extra_context)


class Remainder(Func):
    """`a % b` with SQL's own operator (SQLite's MOD() calls back into Python for each row)."""

    template = "(%(expressions)s)"
    arg_joiner = " %% "
    output_field = IntegerField()


class SearchForm(forms.Form):
    sort = forms.ChoiceField(choices=list(SORTS.items()), required=False)
    page = forms.CharField(required=False, strip=True)

    def clean_page(self):
        number = page_number(self.cleaned_data)
        if number is None:
            raise forms.ValidationError(
                f"The page must be a whole number from 1 to {PAGE_LIMIT:,}.", code="invalid"
            )
        return number

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start[0] > end[1]:
            self.add_error("date_to", "The end date is before the start date.")
        self._resolve_facet_values(cleaned)
        return cleaned

    def _resolve_facet_values(self, cleaned):
        """Turn slugs into labelled ids with one query; unknown values are errors.

        A name staff made that no published record carries is unknown too: it would show
        what unpublished records are about.
        """
        wanted = {d: cleaned[d.param] for d in FACETS if cleaned.get(d.param)}
        found = {
            (number, key): label
            for (number, key), label in lookup_values(wanted, by="key").items()
            if label.total > 0 or FACETS_BY_NUMBER[number].is_reference_list
        }
        for definition, keys in wanted.items():
            missing = [key for key in keys if (definition.facet.value, key) not in found]
            if missing:
                shown = ", ".join(f"“{key[:60]}”" for key in missing[:3])
                self.add_error(
                    definition.param,
                    f"No {definition.label.lower()} is known as {shown}; "
                    "the link may be out of date.",
                )
            else:
                cleaned[definition.param] = [found[(definition.facet.value, k)] for k in keys]


class SearchFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_keywords",
        label="Keywords",
        max_length=MAX_QUERY_LENGTH,
    )
    date_from = PartialDateFilter(method="filter_date_from", label="From")
    date_to = PartialDateFilter(method="filter_date_to", label="To")
    has_scan = django_filters.ChoiceFilter(
        method="filter_has_scan",
        label="Has scans (1: only records with scans attached)",
        choices=[("1", "Has scans")],
        error_messages={"invalid_choice": "has_scan takes 1 (only records with scans) or nothing."},
    )

    # While set, an SQL expression for the sample's stride: every subquery keeps only the
    # entries whose pk is a multiple of it (see sampled_queryset_without).
    sample_stride_sql: str | None = None
    _keyword_estimate: int | None = None
    _longest_span: tuple[int | None] | None = None
    # How many records the keywords match (counted as far as the facet filters need), once
    # known: it places the keyword filter among the facet filters (see _selective_first).
    keyword_matches: int | None = None

    class Meta:
        model = SearchEntry
        fields = []
        form = SearchForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # queryset_without's querysets, and the WHERE conditions of the samples, by the
        # filters left out (see queryset_without and sampled_sql_without).
        self._built, self._where = {}, {}
        for definition in FACETS:
            self.filters[definition.param] = FacetFilter(
                definition=definition, field_name=definition.param
            )
            self.filters[definition.param].parent = self
            self.filters[definition.param].model = SearchEntry

    @property
    def keywords(self):
        return parse_keywords(self.form.cleaned_data.get("q") or "")

    def filter_keywords(self, queryset, name, value):
        keywords = parse_keywords(value)
        if not keywords:
            return queryset
        if connection.vendor == "postgresql":
            query = SearchQuery(keywords.as_websearch(), search_type="websearch", config=PG_CONFIG)
            return queryset.filter(document=query)
        match = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
        if self.sample_stride_sql:
            match += f" AND rowid %% {self.sample_stride_sql} = 0"
        if positive := keywords.fts5_positive():
            queryset = queryset.filter(pk__in=RawSQL(match, [positive]))
        if negative := keywords.fts5_negative():
            queryset = queryset.exclude(pk__in=RawSQL(match, [negative]))
        return queryset

    def filter_date_from(self, queryset, name, value):
        queryset = queryset.alias(start_unindexed=Unindexed("date_start"))
        return queryset.filter(start_unindexed__isnull=False, date_end__gte=value[0])

    def start_bounded(self, queryset):
        """The entries with the bound that the date_from filter puts on their start dates
        said outright (PostgreSQL), for reading them in date order.

        A record ending on or after the date started no earlier than the date less the
        longest range of any record. Said outright, it bounds the date index at its start
        column: a walk in date order begins near the dates asked for instead of at the
        oldest record (half the archive for the 1960s). It only restates what date_end
        already requires; the counts go without it, because it makes the date range look
        narrower to the planner, which then scanned the date index for a bitmap (the samples
        of dates alone, read in their own B-trees of dates, say it: _start_bound_sql).
        """
        value = self.form.cleaned_data.get("date_from")
        if not value or connection.vendor != "postgresql":
            return queryset
        if (span := self.longest_span()) is None:
            return queryset
        if value[0] - date.min < timedelta(days=span):
            return queryset  # the bound would fall before the first day a date can have
        return queryset.filter(date_start__gte=value[0] - timedelta(days=span))

    def filter_date_to(self, queryset, name, value):
        queryset = queryset.alias(start_unindexed=Unindexed("date_start"))
        return queryset.filter(start_unindexed__isnull=False, start_unindexed__lte=value[1])

    def filter_has_scan(self, queryset, name, value):
        return self.having_any(queryset, Facet.SCAN, [1])

    def having_any(self, queryset, facet: Facet, values: list[int]):
        """The entries having any of these values of the facet.

        PostgreSQL tests the keys on each entry's own row (SearchEntry.keys) through the GIN
        index it shares with the words, which ANDs them in one scan. SQLite has no arrays;
        it looks the values up in the facet rows.
        """
        if connection.vendor == "postgresql":
            keys = [facet_key(facet, value) for value in values]
            return queryset.filter(keys__overlap=keys)
        matching = SearchFacet.objects.filter(facet=facet, value__in=values)
        matching = self.keep_sampled(matching, "entry_id")
        return queryset.filter(pk__in=matching.values("entry_id"))

    def filter_queryset(self, queryset):
        # The form also carries sort and page, which are not filters.
        return self._apply(queryset, skip=())

    def queryset_without(self, *names: str):
        """The filtered queryset with some filters left out: for a facet's own counts.

        A search asks for the same few (a facet group's, the search's own) a dozen times;
        each is built once for the request (applying the filters anew each time cost
        milliseconds of Python a search with filters). The order the filters are applied in
        is part of the key: it changes once the words' matches are counted (SQLite, see
        _selective_first).
        """
        key = (frozenset(names), self.keyword_matches)
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = self._apply(self.queryset, skip=names)
        return built

    def queryset_only(self, *names: str):
        """The entries passing only the named filters of those active: a facet group's own,
        which narrow its entries to the search's."""
        return self._apply(self.queryset, skip=[name for name in self.filters if name not in names])

    def sampled_sql_without(self, *names: str, stride_sql: str, column: str, alias: str):
        """(SQL, parameters) of `column` (as `alias`) of the entries of
        sampled_queryset_without: the same entries, written from the WHERE condition of
        queryset_without, which is compiled once per set of filters left out.

        A search reads up to a dozen samples (three strides for each facet group and for
        itself), and compiling each as a queryset of its own cost milliseconds of Python a
        search. On SQLite, and should a filter ever join another table, the samples are
        compiled as querysets.

        A stride computed in SQL (from a coarse sample, in the same statement) is read in
        one of several branches, each stating the condition of a partial index of samples
        (models.SAMPLE_INDEX_STRIDES): only the branch the stride picks runs, and it reads
        that index, where a stride the planner cannot see read the full GIN index (the
        whole list of each word and facet value named, 3-4 ms for a common one).
        """
        queryset = self.queryset_without(*names)
        if connection.vendor != "postgresql" or len(queryset.query.alias_map) > 1:
            sample = self.sampled_queryset_without(*names, stride_sql=stride_sql)
            sample = sample.order_by().annotate(**{alias: F(column)}).values(alias)
            return sample.query.sql_with_params()
        key = (frozenset(names), self.keyword_matches)
        table = connection.ops.quote_name(SearchEntry._meta.db_table)
        quoted = connection.ops.quote_name(SearchEntry._meta.get_field(column).column)
        selected = f"SELECT {table}.{quoted} AS {connection.ops.quote_name(alias)} FROM {table}"
        if key not in self._where:
            self._where[key] = where_sql(queryset)
        where, params = self._where[key]
        if dated := self._dates_alone(names, stride_sql):
            # Read in a sample's B-tree of dates, which holds the keys, from the dates asked
            # for: no row is read (models.DATE_SAMPLE_INDEX_STRIDES).
            bound, bound_params = self._start_bound_sql()
            stride = int(stride_sql)
            sampled = f"{table}.record_id %% {stride} = 0"
            if stride != dated:
                sampled += f" AND {table}.record_id %% {dated} = 0"
            return f"{selected} WHERE ({where}){bound} AND {sampled}", [*params, *bound_params]
        select = f"{selected} WHERE ({where}) AND {_in_sample_level(stride_sql).sql}"
        if stride_sql.isdigit():
            if indexed := sample_index_stride(int(stride_sql)):
                select += f" AND {_in_sample_index(indexed).sql}"
            return select, list(params)
        branches, above = [], None
        # Strides are powers of two: one at least as large as a partial index's stride is a
        # multiple of that stride, so the index holds its sample.
        for indexed in sorted(SAMPLE_INDEX_STRIDES, reverse=True):
            below = f" AND ({stride_sql}) < {above}" if above else ""
            branches.append(
                f"{select} AND ({stride_sql}) >= {indexed}{below} "
                f"AND {_in_sample_index(indexed).sql}"
            )
            above = indexed
        branches.append(f"{select} AND ({stride_sql}) < {above}")
        return " UNION ALL ".join(branches), list(params) * len(branches)

    def _dates_alone(self, names, stride_sql: str) -> int | None:
        """The stride of the B-tree of dates to read a sample in (the largest that divides
        its stride, models.DATE_SAMPLE_INDEX_STRIDES), when the entries less the filters named
        are filtered by dates alone; None otherwise."""
        left = set(self.active_filter_names()).difference(names)
        if not left or not left <= DATE_FILTERS or not stride_sql.isdigit():
            return None
        stride = int(stride_sql)
        if stride < 1 or stride & (stride - 1) or stride > SAMPLE_LEVELS_UP_TO:
            return None  # not a sample level: the two ways would not agree (none is asked)
        held = [each for each in DATE_SAMPLE_INDEX_STRIDES if stride % each == 0]
        return max(held, default=None)

    def _start_bound_sql(self) -> tuple[str, list]:
        """(" AND condition", parameters) of the bound date_from puts on the start dates (see
        start_bounded), in SQL: the longest range is read in the same statement, through
        its index (migration 0026), so a count asks no query of its own for it."""
        value = self.form.cleaned_data.get("date_from")
        if not value:
            return "", []
        table = connection.ops.quote_name(SearchEntry._meta.db_table)
        return (
            f" AND {table}.date_start >= %s::date - (SELECT COALESCE(MAX(spans.date_end - "
            f"spans.date_start), 0) FROM {table} spans)",
            [value[0]],
        )

    def sampled_queryset_without(self, *names: str, stride_sql: str):
        """queryset_without, keeping only the entries whose pk is a multiple of `stride_sql`.

        Each filter's subquery applies the stride too, so that the database never collects
        every entry a common word or facet value matches only to drop most of them.
        """
        self.sample_stride_sql = stride_sql
        try:
            queryset = self._apply(self.queryset, skip=names)
        finally:
            self.sample_stride_sql = None
        return self._keep_multiples(queryset, "pk", stride_sql)

    def keep_sampled(self, queryset, field: str):
        """The queryset cut to the sample while sampling; unchanged otherwise."""
        if not self.sample_stride_sql:
            return queryset
        return self._keep_multiples(queryset, field, self.sample_stride_sql)

    @staticmethod
    def _keep_multiples(queryset, field: str, stride_sql: str):
        if connection.vendor == "postgresql" and field == "pk":
            queryset = queryset.filter(_in_sample_level(stride_sql))
            if stride_sql.isdigit() and (indexed := sample_index_stride(int(stride_sql))):
                # Stated as the partial index's own condition, so that the planner reads the
                # sample through it (models.SAMPLE_INDEX_STRIDES).
                queryset = queryset.filter(_in_sample_index(indexed))
            return queryset
        stride = RawSQL(stride_sql, [], output_field=IntegerField())
        return queryset.alias(sample_bucket=Remainder(F(field), stride)).filter(sample_bucket=0)

    def condition(self, name: str):
        """The WHERE condition of one active filter alone, usable as a boolean expression:
        whether an entry passes it (PostgreSQL's shared sample, see estimates)."""
        value = self.form.cleaned_data[name]
        return self.filters[name].filter(self.queryset, value).query.where

    def _apply(self, queryset, skip):
        applied = []
        for name, value in sorted(self.form.cleaned_data.items(), key=self._selective_first):
            if name in self.filters and name not in skip:
                queryset = self.filters[name].filter(queryset, value)
                if value and (name != "q" or self.keywords):
                    applied.append(name)  # words too common to search for filter nothing
        if decades := self._decade_keys(applied):
            queryset = queryset.filter(keys__overlap=decades)
        return queryset

    def _decade_keys(self, applied: list[str]) -> list[int] | None:
        """The keys of the decades a date range spans, said beside its dates when a word or
        facet filter is applied with them (PostgreSQL); None otherwise.

        The dates are no part of the GIN index of the words and keys, so the entries of a
        word or facet value were read row by row to test them, most to be dropped (for
        q=near in the 1960s, 13,825 rows of its sample read to keep 3,327). An entry within
        the dates carries the key of a decade among them (its decades are those its range
        overlaps, indexing.py), so the decades' keys in the same index scan keep only the
        entries of those decades: the same entries, fewer rows read. Only for a range of
        both ends and a few decades: more decades would keep most entries anyway, and each
        decade's list is long. Nor for a range that covers less than half of its decades'
        days: its dates are a small part of each decade's list, which the planner, taking
        the two as independent, would read whole (q=near in two months of 1962: the count
        read the 1960s' list of the word's 106,873 entries, 57 ms, where it walked the date
        index in 25 ms). Dates alone are read in date order (SearchEntry's indexes).
        """
        if connection.vendor != "postgresql" or not DATE_FILTERS <= set(applied):
            return None
        if not set(applied) - DATE_FILTERS:
            return None
        start = self.form.cleaned_data["date_from"][0]
        end = self.form.cleaned_data["date_to"][1]
        first, last = start.year // 10 * 10, end.year // 10 * 10
        if last < first or (last - first) // 10 + 1 > MAX_DECADE_KEYS:
            return None
        decades_days = (date(last + 10, 1, 1) - date(max(first, 1), 1, 1)).days
        if 2 * ((end - start).days + 1) < decades_days:
            return None
        return [facet_key(Facet.DECADE, decade) for decade in range(first, last + 10, 10)]

    def longest_span(self) -> int | None:
        """The longest date range of any entry, in days (PostgreSQL; asked once, from the
        index on the ranges' lengths); None while no entry has one."""
        if self._longest_span is None:
            table = SearchEntry._meta.db_table
            with reading_connection(SearchEntry).cursor() as cursor:
                cursor.execute(f"SELECT MAX(date_end - date_start) FROM {table}")
                self._longest_span = (cursor.fetchone()[0],)
        return self._longest_span[0]

    def keyword_estimate(self) -> int:
        """How many entries PostgreSQL's statistics expect the words to match (asked once,
        costing a query).

        Its estimate for a text query comes from the commonest words of the index, so it
        tells a rare word from a common one without counting either.
        """
        if self._keyword_estimate is None:
            table = SearchEntry._meta.db_table
            with reading_connection(SearchEntry).cursor() as cursor:
                cursor.execute(
                    f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {table} "
                    f"WHERE document @@ websearch_to_tsquery(%s, %s)",
                    [PG_CONFIG, self.keywords.as_websearch()],
                )
                plan = cursor.fetchone()[0]  # psycopg decodes the JSON
            self._keyword_estimate = int(plan[0]["Plan"]["Plan Rows"])
        return self._keyword_estimate

    def _selective_first(self, item) -> tuple:
        """Facet filters and keywords by how few records they match, then the rest.

        SQLite loops over the first `pk IN (…)` subquery and probes the others: the smallest
        set should lead. A common word's FTS5 matches can be most of the archive, and the
        kept totals say how many records each chosen value has. Until the words' matches
        are counted (keyword_matches), the facets lead: their cost is bounded by the totals.
        """
        name, value = item
        if name in FACETS_BY_PARAM and value:
            return (0, _chosen_total(value))
        if name == "q" and self.keyword_matches is not None:
            return (0, self.keyword_matches)
        return (1 if name == "q" else 2, 0)

    def _facet_totals(self, skip=()) -> dict[str, int]:
        """{param: records its chosen values have} of the active facet filters, less those
        named, from the kept totals."""
        return {
            name: _chosen_total(value)
            for name, value in self.form.cleaned_data.items()
            if name in FACETS_BY_PARAM and value and name not in skip
        }

    def largest_facet_total(self) -> int | None:
        """The most records any active facet filter's values have, from the kept totals."""
        return max(self._facet_totals().values(), default=None)

    def upper_bound(self, *, without: tuple[str, ...] = ()) -> int | None:
        """At most how many entries the active facet filters (less those named) can match,
        from the kept totals; None when no facet filter is left to bound them."""
        return min(self._facet_totals(without).values(), default=None)

    def active_filter_names(self) -> list[str]:
        return [
            name for name, value in self.form.cleaned_data.items() if name in self.filters and value
        ]


def _in_sample_level(stride_sql: str):
    """Whether an entry's pk is a multiple of the stride (a power of two up to
    SAMPLE_LEVELS_UP_TO), on PostgreSQL: it carries that sample level's key, which the GIN
    index of the words and keys answers in the same scan (see models.SAMPLE_LEVEL)."""
    return RawSQL(
        f"{connection.ops.quote_name(SearchEntry._meta.db_table)}.keys && "
        f"ARRAY[{SAMPLE_LEVEL * FACET_KEY_BASE} + ({stride_sql})]::integer[]",
        [],
        output_field=BooleanField(),
    )


def _in_sample_index(stride: int):
    """Whether an entry's pk is a multiple of `stride`, written as the condition of the partial
    index of that sample stride (migrations 0025, 0028), which the planner must find word for
    word."""
    return RawSQL(
        f"{connection.ops.quote_name(SearchEntry._meta.db_table)}.record_id %% {int(stride)} = 0",
        [],
        output_field=BooleanField(),
    )


def _chosen_total(labels) -> int:
    """How many records carry any of a filter's chosen values, at most (their kept totals)."""
    return sum(label.total for label in labels)


def search_parameters() -> dict[str, str]:
    """Every query parameter the search takes, with its label: the API documents these."""
    parameters = {
        name: str(search_filter.label or name)
        for name, search_filter in SearchFilter().filters.items()
    }
    parameters["sort"] = "Order: " + ", ".join(SORTS)
    return parameters
