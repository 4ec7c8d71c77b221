"""Links that change one search parameter while keeping the others (and starting at page 1)."""

from django import template
from django.http import QueryDict

register = template.Library()


@register.simple_tag
def without_value(params: QueryDict, name: str, value: str = "") -> str:
    """The query string with one value of `name` removed (all of them when value is empty)."""
    changed = params.copy()
    changed.pop("page", None)
    kept = [item for item in changed.getlist(name) if value and item != value]
    if kept:
        changed.setlist(name, kept)
    else:
        changed.pop(name, None)
    return "?" + changed.urlencode()


@register.simple_tag
def with_value(params: QueryDict, name: str, value: str) -> str:
    """The query string with one more value of `name` (values of one facet are ORed)."""
    changed = params.copy()
    changed.pop("page", None)
    if value not in changed.getlist(name):
        changed.appendlist(name, value)
    return "?" + changed.urlencode()
