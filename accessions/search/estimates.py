"""Estimated counts for the search past the exact-count limit: each count from a sample of
its own matches, the entries whose pk is a multiple of a stride, times the stride (see
count_limits for how the stride is chosen).
"""

import math

from django.db import connection

from accessions.search import count_limits as limits
from accessions.search.facet_counting import (
    SAMPLE_ROW,
    facet_counts,
    shown_key_rows,
    unnested_key_counts,
)


def coarse_hits_for(stride: int, hits: int | None = None, *, sampled_stride=None) -> int:
    """The fewest matches a coarse sample must hold for `stride` to expect `hits` (by
    default SAMPLE_HITS) matches at the lower bound (c - 2·sqrt(c)) · COARSE_STRIDE of the
    count; or a sample of `sampled_stride`, at (c - 2·sqrt(c)) · sampled_stride."""
    sampled_stride = sampled_stride or limits.COARSE_STRIDE
    needed = stride * (limits.SAMPLE_HITS if hits is None else hits) / sampled_stride
    hits = math.ceil(needed)
    while hits - 2 * math.sqrt(hits) < needed:
        hits += 1
    return hits


def _stride_case(hits: int, *, sampled_stride=None) -> str:
    """SQL: the stride of a sample expecting `hits` matches, from `c`, the matches its coarse
    sample holds (or its sample of `sampled_stride`)."""
    cases = []
    stride = limits.COARSE_STRIDE
    while stride > 1:
        threshold = coarse_hits_for(stride, hits, sampled_stride=sampled_stride)
        cases.append(f"WHEN c >= {threshold} THEN {stride}")
        stride //= 2
    return f"CASE {' '.join(cases)} ELSE 1 END" if cases else "1"


def fine_may_widen(coarse_hits: int, hits: int | None = None) -> bool:
    """Whether the estimate should read the finer sample (every FINE_STRIDE-th entry) to
    choose its stride, when the count read only the coarse one (PostgreSQL).

    The coarse sample's lower bound of the count is loose, and the stride, a power of two,
    halves whenever it crosses one: "central committee" (155,568 matches) held 132 coarse
    matches, whose bound (111,600) allows a stride of 32 only, and its sample held 4,840
    matches where 2,420 suffice. When the count might be large enough for a larger stride
    (at two standard deviations above the coarse matches), the finer sample, eight times
    the size of the coarse one, bounds it four times closer; it is read only when it holds
    at most a FINE_SAMPLE_SHARE-th of the entries of the sample it may halve.
    """
    if connection.vendor != "postgresql":
        return False
    stride = stride_for(coarse_hits, hits)
    plausible = math.floor(coarse_hits + 2 * math.sqrt(coarse_hits))
    return (
        stride_for(plausible, hits) > stride
        and limits.FINE_STRIDE >= limits.FINE_SAMPLE_SHARE * stride
    )


def coarse_sample(search_filter, without=(), stride: int | None = None) -> tuple[str, list]:
    """(SQL, parameters) of the pks of the coarse sample of the entries matching the
    filters less those named: every COARSE_STRIDE-th entry (or every `stride`-th)."""
    stride_sql = str(stride or limits.COARSE_STRIDE)
    return search_filter.sampled_sql_without(
        *without, stride_sql=stride_sql, column="record", alias="pk"
    )


def stride_for(coarse_hits: int, hits: int | None = None, *, sampled_stride=None) -> int:
    """The stride of a sample expecting `hits` matches (SAMPLE_HITS by default), from the
    matches its coarse sample holds: what _stride_case computes in SQL. With
    `sampled_stride`, from the matches of the sample of that stride instead."""
    stride = limits.COARSE_STRIDE
    while stride > 1:
        if coarse_hits >= coarse_hits_for(stride, hits, sampled_stride=sampled_stride):
            return stride
        stride //= 2
    return 1


def estimated_counts(
    search_filter,
    facets,
    without,
    number: int,
    *,
    total: bool,
    hits: int | None = None,
    coarse_hits: int | None = None,
    finer: tuple[int, int] | None = None,
    shown=None,
):
    """(SQL, parameters) of the estimated counts of the facets' values over the entries
    matching the filters less those named, as (facet, value, count) rows, and with `total`
    a (SAMPLE_ROW, 0, estimated matches) row: each count of the sample times its stride.

    The stride is chosen in the same statement from the coarse sample to expect `hits`
    sampled matches (SAMPLE_HITS by default; see "How estimates are sized"); `number` names
    the statement's own common table expressions, so that several estimates can go in one
    UNION. `coarse_hits`, when the count already read the coarse sample, is its number of
    matches: the stride then follows from it without reading the coarse sample again, or
    from `finer`, the (stride, matches) of a finer sample the count read, when that gives
    the larger stride (its bound of the count is the closer), or, when the count read no
    finer sample and one might allow a larger stride, from the finer sample read here
    (see fine_may_widen).

    With `shown` (the selected values and the values per facet of the page; PostgreSQL with
    the extension only, see facet_counting.uses_extension) the rows are those to show, ranked,
    with a fourth column, the values in the facet (1 for the total's row).
    """
    ctes, params = [], []
    if coarse_hits is not None and (finer is not None or not fine_may_widen(coarse_hits, hits)):
        stride = stride_for(coarse_hits, hits)
        if finer is not None:
            sampled_stride, sampled = finer
            stride = max(stride, stride_for(sampled, hits, sampled_stride=sampled_stride))
        stride = str(stride)
    else:
        # Chosen in the statement from a sample's matches: the coarse sample's, or, when the
        # count read it and it leaves the stride in doubt, the finer one's, never below the
        # stride the coarse one gives.
        sampled_stride = limits.COARSE_STRIDE if coarse_hits is None else limits.FINE_STRIDE
        sample_sql, sample_params = coarse_sample(search_filter, without, sampled_stride)
        case = _stride_case(hits or limits.SAMPLE_HITS, sampled_stride=sampled_stride)
        if coarse_hits is not None:
            case = f"GREATEST({stride_for(coarse_hits, hits)}, {case})"
        name = f"stride_{number}"
        stride = f"(SELECT s FROM {name})"
        ctes.append(
            f"{name} AS MATERIALIZED (SELECT {case} AS s FROM "
            f"(SELECT COUNT(*) AS c FROM ({sample_sql}) sample) sample_count)"
        )
        params += sample_params
    total_row = f"SELECT {SAMPLE_ROW} AS facet, 0 AS value, COUNT(*) * {stride} AS count"
    if shown is not None:
        total_row += ", 1 AS value_count"
    parts = []
    if connection.vendor == "postgresql":
        # The sample is read once for its keys and its size.
        sample_sql, sample_params = search_filter.sampled_sql_without(
            *without, stride_sql=stride, column="keys", alias="entry_keys"
        )
        ctes.append(f"sample_{number} AS MATERIALIZED ({sample_sql})")
        params += sample_params
        if facets:
            if shown is not None:
                rows, rows_params = shown_key_rows(f"sample_{number}", "entry_keys", facets, shown)
            else:
                rows, rows_params = (
                    unnested_key_counts(f"sample_{number}", "entry_keys", facets),
                    [],
                )
            extra = "" if shown is None else ", value_count"
            parts.append(
                (
                    f"SELECT facet, value, count * {stride} AS count{extra} FROM ({rows}) c",
                    rows_params,
                )
            )
        if total:
            parts.append((f"{total_row} FROM sample_{number}", []))
    else:
        assert shown is None, "only the extension ranks as it counts (PostgreSQL)"
        sample = search_filter.sampled_queryset_without(*without, stride_sql=stride)
        if facets:
            counts_sql, counts_params = facet_counts(sample, facets).query.sql_with_params()
            scaled = f"SELECT facet, value, count * {stride} AS count FROM ({counts_sql}) c"
            parts.append((scaled, list(counts_params)))
        if total:
            total_sql, total_params = sample.order_by().values("pk").query.sql_with_params()
            parts.append((f"{total_row} FROM ({total_sql}) t", list(total_params)))
    sql = (f"WITH {', '.join(ctes)} " if ctes else "") + " UNION ALL ".join(
        f"SELECT * FROM ({part}) part_{index}" for index, (part, _) in enumerate(parts)
    )
    for _, part_params in parts:
        params += part_params
    return sql, params


def rounded(number: int) -> int:
    """An estimate to three significant figures: more digits would claim a precision it
    lacks, and two would add up to 5 % of error of their own."""
    if number < 1000:
        return number
    return round(number, 3 - len(str(number)))
