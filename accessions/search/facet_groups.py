"""The facet groups a search counts (each facet, the decades, the scans), each with the
filters that are its own: a group's counts ignore its own filters, so that choosing a value
never hides the others. Also which facet values a search's parameters choose."""

from accessions.search.facets import FACETS, FACETS_BY_PARAM
from accessions.search.models import Facet

DATE_PARAMS = ("date_from", "date_to")


def single_facet_value(search_filter, active: list[str]):
    """The chosen value (a label) when one facet filter with one value is all there is."""
    if len(active) != 1 or active[0] not in FACETS_BY_PARAM:
        return None
    values = search_filter.form.cleaned_data[active[0]]
    return values[0] if len(values) == 1 else None


def all_groups() -> list[tuple[str, Facet, tuple[str, ...]]]:
    """(param, facet, own filters) of each count group: the facets, decades and scans."""
    groups = [(d.param, d.facet, (d.param,)) for d in FACETS]
    groups.append(("decade", Facet.DECADE, DATE_PARAMS))
    groups.append(("has_scan", Facet.SCAN, ("has_scan",)))
    return groups


def shared_facets(search_filter) -> list[Facet]:
    """The facets whose counts are over the search's own matches: those whose own filter
    is not on."""
    active = set(search_filter.active_filter_names())
    return [facet for param, facet, own in all_groups() if not active.intersection(own)]


def selected_values(cleaned) -> dict[int, set[int]]:
    """{facet number: ids of its chosen values} of the cleaned parameters."""
    return {
        definition.facet.value: {label.id for label in cleaned.get(definition.param) or []}
        for definition in FACETS
    }
