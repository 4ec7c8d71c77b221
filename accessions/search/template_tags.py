"""Template tags of the search page: the facet lists, and links that change one parameter.

The facet lists are built in Python.
A page lists up to ten values in each of ten facets: written as template loops, the nine
hundred variable lookups (and the number formatting of every count) took 10-15 ms a page,
as long as the database needed for a rare word. The markup is the same as a template's;
every text from the database is escaped here, with the standard library's escape (the same
five characters as Django's, without its per-call lazy-string checks).
"""

from html import escape
from urllib.parse import urlencode

from django import template
from django.http import QueryDict
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def facet_fieldsets(result, params) -> SafeString:
    """A fieldset of checkboxes for each facet with values, and a "show all" link."""
    html = []
    for group in result.facets:
        if not group.values:
            continue
        param = escape(group.param)
        html.append(f'<fieldset class="facet">\n<legend>{escape(group.label)}</legend>\n')
        if group.param in result.estimated_groups and not result.estimated:
            html.append('<p class="meta">Counts estimated from a sample.</p>\n')
        html.append("<ul>\n")
        for number, value in enumerate(group.values, start=1):
            checked = " checked" if value.selected else ""
            html.append(
                f'<li>\n<input type="checkbox" id="facet-{param}-{number}" name="{param}" '
                f'value="{escape(value.value)}"{checked}>\n'
                f'<label for="facet-{param}-{number}">{escape(value.label)} '
                f'<span class="count">{int(value.count)}</span></label>\n</li>\n'
            )
        html.append("</ul>\n")
        if group.has_more:
            url = reverse("accessions:search_facet", args=[group.param])
            html.append(
                f'<p><a href="{escape(url)}?{escape(params.urlencode())}">Show all '
                f"{int(group.value_count)} {escape(group.label.lower())}</a></p>\n"
            )
        html.append("</fieldset>\n")
    return mark_safe("".join(html))


@register.simple_tag
def facet_value_items(group, params) -> SafeString:
    """The <li> of each value of a "show all" list: a link that adds it to the search, or the
    value marked as selected. Built in Python for the reason the facet lists are (above)."""
    # Every link is the search's parameters (from page 1) and one more value of this facet.
    kept = params.copy()
    kept.pop("page", None)
    prefix = escape(f"{reverse('accessions:search')}?{kept.urlencode()}")
    joiner = "&amp;" if kept else ""
    items = []
    for value in group.values:
        label = escape(value.label)
        if value.selected:
            shown = f"<strong>{label}</strong> (selected)"
        else:
            added = escape(urlencode([(group.param, value.value)]))
            shown = f'<a href="{prefix}{joiner}{added}">{label}</a>'
        items.append(f'<li>{shown} <span class="count">{int(value.count)}</span></li>\n')
    return mark_safe("".join(items))


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
