"""The facet lists of a search result: every count the search has not already counted, in
one query, estimated where the search or a group is past the exact-count limit, and each
shown value named."""

from accessions.search import count_limits, estimates, facet_counting, facet_groups
from accessions.search.facets import FACETS, lookup_values
from accessions.search.models import Facet
from accessions.search.results import FacetGroup, FacetValue


def fill_facets(
    result,
    search_filter,
    cleaned,
    facet_limit,
    sampled_groups,
    total_is_capped=False,
    *,
    counted=None,
    group_rows=None,
    coarse_hits=None,
    finer_samples=None,
) -> None:
    """Count every facet in one query; each facet's counts ignore its own filter.

    The groups named in `sampled_groups` (and all but the kept totals when the search itself
    is estimated) are estimated, each from a sample of its own matches; so is the total when
    `total_is_capped` (its count stopped at the limit). `counted` holds the (facet, value,
    count, values in facet) rows to show of the shared facets when the count already counted
    and ranked them, `group_rows` those of the groups it counted, by param, and
    `coarse_hits` the sizes of the coarse samples it read, by the filters they leave out,
    and `finer_samples` the (stride, matches) of the finer samples it read beyond them.
    """
    group_rows, coarse_hits = group_rows or {}, coarse_hits or {}
    finer_samples = finer_samples or {}
    # Rows to show that the count already ranked: no query needs to count them again.
    ranked_rows = []
    active = set(search_filter.active_filter_names())
    groups = facet_groups.all_groups()
    shared = facet_groups.shared_facets(search_filter)
    querysets = []
    counted_facets: set[Facet] = set()  # the facets the querysets count
    sampled_facets: set[int] = set()
    # (facets, filters left out) of the counts taken on the sample.
    sampled_parts: list[tuple[list[Facet], tuple[str, ...]]] = []
    if shared and active:
        if result.estimated:
            sampled_facets.update(facet.value for facet in shared)
            result.estimated_groups.update(p for p, f, own in groups if f in shared)
            sampled_parts.append((shared, ()))
        elif counted is not None:
            ranked_rows += counted
        else:
            querysets.append(facet_counting.facet_counts(search_filter.queryset_without(), shared))
            counted_facets.update(shared)
    for param, facet, own in groups:
        if not active.intersection(own):
            continue
        if not active.difference(own):
            # Only this group's own filter is on, and its counts ignore it: the kept totals.
            querysets.append(facet_counting.kept_totals([facet]))
            counted_facets.add(facet)
        elif param in sampled_groups:
            sampled_facets.add(facet.value)
            result.estimated_groups.add(param)
            sampled_parts.append(([facet], own))
        elif param in group_rows:
            ranked_rows += group_rows[param]
        else:
            entries = search_filter.queryset_without(*own)
            querysets.append(facet_counting.facet_counts(entries, [facet]))
            counted_facets.add(facet)
    if total_is_capped and not any(without == () for _, without in sampled_parts):
        sampled_parts.append(([], ()))
    selected = facet_groups.selected_values(cleaned)
    # Where the extension ranks the sampled counts as it counts them, their rows come ranked.
    ranks_keys = bool(sampled_parts) and facet_counting.uses_extension()
    ranked_parts = []
    for number, (facets, without) in enumerate(sampled_parts):
        if not ranks_keys:
            counted_facets.update(facets)
        (ranked_parts if ranks_keys else querysets).append(
            estimates.estimated_counts(
                search_filter,
                facets,
                without,
                number,
                total=total_is_capped and without == (),
                hits=count_limits.SAMPLE_HITS if without == () else count_limits.GROUP_SAMPLE_HITS,
                coarse_hits=coarse_hits.get(without),
                finer=finer_samples.get(without),
                shown=(selected, facet_limit) if ranks_keys else None,
            )
        )
    combined = facet_counting.union_all(querysets) if querysets else None
    counts: dict[int, dict[int, int]] = {}
    value_counts: dict[int, int] = {}
    estimated_total = None
    if active:
        rows = [tuple(row) for row in ranked_rows]
        if combined is not None or ranked_parts:
            rows += facet_counting.top_counts(
                combined, selected, facet_limit, counted_facets, ranked=ranked_parts
            )
    else:
        rows = facet_counting.top_kept_totals(shared, facet_limit)
    for facet, value, count, value_count in rows:
        if facet == facet_counting.SAMPLE_ROW:
            estimated_total = count
            continue
        counts.setdefault(facet, {})[value] = count
        value_counts[facet] = value_count
    if estimated_total is not None:
        # Never below what was counted.
        result.total = max(estimates.rounded(estimated_total), count_limits.EXACT_COUNT_LIMIT + 1)
    for facet in sampled_facets:
        by_value = counts.setdefault(facet, {})
        for value in by_value:
            by_value[value] = estimates.rounded(by_value[value])
        # A chosen value the sample missed stays listed (and ticked), or the next submit of
        # the form would drop the filter.
        for value in selected.get(facet, ()):
            by_value.setdefault(value, 0)
    shown = {}
    for definition in FACETS:
        by_value = counts.setdefault(definition.facet.value, {})
        shown[definition] = sorted(by_value, key=lambda pk, c=by_value: (-c[pk], pk))
    labels = lookup_values(shown, by="id")
    for definition in FACETS:
        number = definition.facet.value
        values = [
            FacetValue(label.key, label.name, counts[number][pk], pk in selected[number])
            for pk in shown[definition]
            if (label := labels.get((number, pk)))
        ]
        result.facets.append(
            FacetGroup(definition.param, definition.label, values, value_counts.get(number, 0))
        )

    decade_counts = counts.get(Facet.DECADE.value, {})
    result.decades = [
        FacetValue(str(decade), f"{decade}s", decade_counts[decade])
        for decade in sorted(decade_counts)
    ]
    result.with_scans = FacetValue(
        "1",
        "Has scans",
        counts.get(Facet.SCAN.value, {}).get(1, 0),
        bool(cleaned.get("has_scan")),
    )
