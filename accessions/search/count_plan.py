"""How a search with filters is counted: which facet groups need a size of their own,
which their other filters bound within the exact-count limit, whether one scan of a rare
word's matches counts everything (word_scan), and whether samples can tell a count far past
the limit before it is read to it (counting).

PostgreSQL's statistics of the words (SearchFilter.keyword_estimate, one query) decide the
last two, and which groups under the words alone are so far past the limit that they are
estimated without a size (sized_groups): that choice marks such a group estimated. The
others change only what is read to reach an answer, not the answer.
"""

from django.db import connection

from accessions.search import count_limits, facet_counting, facet_groups, word_scan

# Words PostgreSQL's statistics expect in more records than this are surely past the
# exact-count limit: a facet group counted under them alone is estimated without sizing.
WORDS_SURELY_ESTIMATED = 10 * count_limits.EXACT_COUNT_LIMIT


def keyword_cap(search_filter, keywords) -> int | None:
    """How far to count the words' own FTS5 matches, or None when there is no need.

    On SQLite the filters' order decides which set drives (see SearchFilter._selective_first);
    beside facet filters, the words' match count, up to the largest chosen value's total,
    places them. Counting FTS5 matches reads only the words' own index entries.
    """
    if connection.vendor != "sqlite" or not keywords.positive:
        return None
    largest = search_filter.largest_facet_total()
    return largest + 1 if largest is not None else None


def sized_groups(search_filter) -> tuple[list[tuple[str, tuple[str, ...]]], set[str]]:
    """(param, own filters) of the groups counted under other filters than their own, and
    the params of those known to be estimated without sizing them.

    Their counts ignore their own filter, so they count more entries than the search finds:
    each needs its own size to tell whether to count exactly or estimate. A group whose
    filter is the only one reads the kept totals and needs none, nor does one whose other
    facet filters choose values of at most EXACT_COUNT_LIMIT records all told, nor one
    counted under one facet value alone (its kept total is its size), nor one counted
    under words alone that PostgreSQL already expects in far more records.
    """
    active = set(search_filter.active_filter_names())
    sized, surely_large = [], set()
    for param, _, own in facet_groups.all_groups():
        if not active.intersection(own) or not active.difference(own):
            continue
        if active.difference(own) == {"q"} and words_surely_estimated(search_filter):
            surely_large.add(param)
            continue
        bound = search_filter.upper_bound(without=own)
        if bound is not None and bound > count_limits.EXACT_COUNT_LIMIT:
            left = active.difference(own)
            if (
                len(left) == 1
                and facet_groups.single_facet_value(search_filter, list(left)) is not None
            ):
                # One facet value is all the group counts under: its kept total is its
                # size, past the limit, and counting to the limit would only confirm it.
                surely_large.add(param)
                continue
        if bound is None or bound > count_limits.EXACT_COUNT_LIMIT:
            sized.append((param, own))
    return sized, surely_large


def main_holder(search_filter, groups):
    """The Sized group likeliest to be within the limit: one its other filters bound, else
    the one the kept totals bound the tightest (the first when none bounds any)."""
    bounded = [group for group in groups if group.within_limit]
    if bounded:
        return bounded[0]

    def bound(group):
        found = search_filter.upper_bound(without=group.without)
        return float("inf") if found is None else found

    return min(groups, key=bound)


def bounded_groups(search_filter, sized, surely_large) -> list[tuple[str, tuple[str, ...]]]:
    """(param, own filters) of the groups counted under other filters than their own that
    sized_groups left out because those filters bound them within the limit."""
    active = set(search_filter.active_filter_names())
    return [
        (param, own)
        for param, _, own in facet_groups.all_groups()
        if active.intersection(own)
        and active.difference(own)
        and param not in surely_large
        and (param, own) not in sized
    ]


def scan_rare_word(search_filter, cleaned, sort, offset, page_size, facet_limit):
    """Every count of a search for one rare word with filters, from one scan of the word's
    matches (word_scan.scan); False where that does not apply, None when the word turned
    out past the limit.

    It applies on PostgreSQL with the extension, to one word that the statistics call rare
    (word_surely_rare), when a facet group's other filters leave it unbounded: that group
    reads most of the word's matches anyway. Where every group is bounded within the limit
    by its other filters, reading those few rows is cheaper than the word's, and needs no
    statistics. Without statistics (before the first ANALYZE, which a rebuild runs) every
    word looks rare: a common one is then scanned to the limit first, one query for nothing.
    """
    active = set(search_filter.active_filter_names())
    if connection.vendor != "postgresql" or "q" not in active or active == {"q"}:
        return False
    groups = [group for group in facet_groups.all_groups() if active.intersection(group[2])]
    bounds = [search_filter.upper_bound(without=own) for *_, own in groups]
    if all(bound is not None and bound <= count_limits.EXACT_COUNT_LIMIT for bound in bounds):
        return False
    if not facet_counting.uses_extension() or not word_surely_rare(search_filter):
        return False
    return word_scan.scan(
        search_filter,
        groups,
        facet_groups.shared_facets(search_filter),
        (facet_groups.selected_values(cleaned), facet_limit),
        page=(offset, page_size) if sort == "relevance" else None,
    )


def samples_may_tell(search_filter, sized, bounded) -> bool:
    """Whether a search with filters may have a count so far past the limit that its
    samples tell it without reading it to the limit (see counting._surely_past).

    Not when every facet group's other filters bound it within the limit (the search's own
    matches, a part of each group's, are then within it too), nor when the words are one
    word that PostgreSQL's statistics expect in few records (word_surely_rare). Building
    and planning the samples (three for each count) was a third of the count statement of a
    rare word with three filters at a million records (14 kB against 6 kB without them).
    """
    unbounded = len(sized) - len(bounded)
    if sized and not unbounded:
        return False
    return not (unbounded and word_surely_rare(search_filter))


def word_surely_rare(search_filter) -> bool:
    """Whether the words are one word that PostgreSQL's statistics expect in so few records
    that every count under it is within the limit, or not far past it.

    Its statistics list the index's commonest words (about a thousand); any other word is
    expected in 0.5 % of the entries (4,600 at a million records), and is in at most about
    as many as the least common word listed (some 10,000 at a million). Only a single word
    is trusted: the statistics take words as independent, so that two words that go
    together, or a phrase, are expected in far fewer records than hold them. A word that
    passes the limit all the same is counted to it and estimated from a sample read apart,
    sized from the coarse sample alone: slower, and the estimate as sound.
    """
    if connection.vendor != "postgresql":
        return False
    clauses = search_filter.keywords.clauses
    if len(clauses) != 1 or clauses[0].negated or len(clauses[0].terms) != 1:
        return False  # words together, alternatives, or words excluded
    (term,) = clauses[0].terms
    if len(term) != 1:
        return False  # a phrase
    return search_filter.keyword_estimate() <= count_limits.EXACT_COUNT_LIMIT // 2


def words_surely_estimated(search_filter) -> bool:
    """Whether PostgreSQL's statistics expect the words in far more records than are ever
    counted exactly (asking costs a query; SQLite keeps no such statistics)."""
    if connection.vendor != "postgresql" or not search_filter.keywords.positive:
        return False
    return search_filter.keyword_estimate() > WORDS_SURELY_ESTIMATED
