"""The RFC 4287 rules an Atom feed must meet, checked on its XML: what feedparser, a lenient
reader, lets pass. (The W3C feed validator is a web service; the tests run offline.)"""

import re
from collections import Counter
from urllib.parse import urlsplit

from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"
NS = {"a": ATOM}
# RFC 3339 date-time, as section 3.3 requires, with the time zone.
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")


def _one(parent, name: str, where: str, errors: list[str]):
    found = parent.findall(f"a:{name}", NS)
    if len(found) != 1:
        errors.append(f"{where} has {len(found)} atom:{name}, not one")
    return found[0] if found else None


def _iri(value: str | None) -> bool:
    parts = urlsplit(value or "")
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in {"urn", "tag"})


def _check_common(element, where: str, errors: list[str]) -> None:
    identifier = _one(element, "id", where, errors)
    if identifier is not None and not _iri(identifier.text):
        errors.append(f"{where} id {identifier.text!r} is not an absolute IRI (4.2.6)")
    _one(element, "title", where, errors)
    for name in ("updated", "published"):
        for date in element.findall(f"a:{name}", NS):
            if not DATE_TIME.match(date.text or ""):
                errors.append(f"{where} atom:{name} {date.text!r} is not RFC 3339 (3.3)")
    _one(element, "updated", where, errors)
    for text in element.findall("a:title", NS) + element.findall("a:summary", NS):
        if text.get("type", "text") not in {"text", "html", "xhtml"}:
            errors.append(f"{where} text construct of type {text.get('type')!r} (3.1.1)")
    for author in element.findall("a:author", NS):
        name = _one(author, "name", f"{where} author", errors)
        if name is not None and not (name.text or "").strip():
            errors.append(f"{where} author has an empty name (3.2.1)")
    for link in element.findall("a:link", NS):
        if not link.get("href"):
            errors.append(f"{where} link without href (4.2.7.1)")
    alternates = Counter(
        (link.get("type"), link.get("hreflang"))
        for link in element.findall("a:link", NS)
        if link.get("rel", "alternate") == "alternate"
    )
    if any(count > 1 for count in alternates.values()):
        errors.append(f"{where} has two alternate links of one type and language (4.1.1)")
    for category in element.findall("a:category", NS):
        if not category.get("term"):
            errors.append(f"{where} category without term (4.2.2.1)")


def atom_errors(document: bytes) -> list[str]:
    """The RFC 4287 violations of a feed document; an empty list when it is valid."""
    feed = etree.fromstring(document)
    if feed.tag != f"{{{ATOM}}}feed":
        return [f"the root is {feed.tag}, not atom:feed"]
    errors: list[str] = []
    _check_common(feed, "feed", errors)
    entries = feed.findall("a:entry", NS)
    feed_has_author = bool(feed.findall("a:author", NS))
    ids = Counter()
    for number, entry in enumerate(entries, 1):
        where = f"entry {number}"
        _check_common(entry, where, errors)
        ids.update(i.text for i in entry.findall("a:id", NS))
        if not feed_has_author and not entry.findall("a:author", NS):
            errors.append(f"{where} has no atom:author and neither has the feed (4.1.1)")
        has_alternate = any(
            link.get("rel", "alternate") == "alternate" for link in entry.findall("a:link", NS)
        )
        if not has_alternate and not entry.findall("a:content", NS):
            errors.append(f"{where} has neither content nor an alternate link (4.1.1)")
    errors += [f"entry id {i!r} is used {n} times (4.2.6)" for i, n in ids.items() if n > 1]
    return errors
