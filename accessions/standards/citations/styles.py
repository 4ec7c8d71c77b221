"""Citations as text for the record page, rendered by citeproc-py from CSL style files.

The styles are the CSL project's own files (`csl/`, with their licence); settings name the
ones the page offers, so another style is another file. citeproc-py implements CSL 1.0 but
not four things these 1.0.2 styles rely on, which this module supplies (see below).
"""

import hashlib
import html
import json
import logging
import re
import threading
from functools import cache as once
from io import BytesIO
from pathlib import Path

from citeproc import (
    Citation as ProcessorCitation,
)
from citeproc import (
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc import model as csl_model
from citeproc.source.json import CiteProcJSON
from django.conf import settings
from django.core.cache import cache
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from lxml import etree

from accessions.catalogue.names import in_east_asian_script
from accessions.standards.citations.citation import Citation
from accessions.standards.citations.formats import csl_item

logger = logging.getLogger(__name__)
STYLES_DIR = Path(__file__).resolve().parent / "csl"
CSL = "{http://purl.org/net/xbiblio/csl}"


class Substitute(csl_model.Substitute, csl_model.CitationStylesElement):
    """cs:substitute that also suppresses variables rendered through a macro or a choose.

    CSL says a variable used as a substitute is not rendered again in the entry; citeproc-py
    remembers only a direct `<text variable=…>`, so an authorless record showed its title
    twice. citeproc-py picks the element class for each CSL tag by class name among the
    direct subclasses of CitationStylesElement, so this class replaces its Substitute.
    """

    def add_to_repressed_list(self, child, context):
        layout = context.get_layout()
        for element in _rendered_elements(child):
            variable = element.get("variable")
            if variable:
                layout.repressed.setdefault(element.tag, []).extend(variable.split())


def _rendered_elements(element):
    yield element
    for descendant in element.iter(f"{CSL}text", f"{CSL}names"):
        yield descendant
        if macro := descendant.get("macro"):
            yield from _rendered_elements(descendant.get_macro(macro))


def _with_initialize_false(tree: etree._ElementTree) -> bytes:
    """The style with CSL 1.0.2's `initialize="false"` applied, which citeproc-py ignores.

    Chicago and MLA give full given names (`initialize="false"` on their names) while the
    style sets `initialize-with` for the names that are initialised; citeproc-py would
    initialise them all. The inherited `initialize-with` moves onto each name that uses it.
    """
    root = tree.getroot()
    inherited = {}
    for element in [root, *root.iter(f"{CSL}citation", f"{CSL}bibliography")]:
        if (value := element.attrib.pop("initialize-with", None)) is not None:
            inherited[element] = value
    for name in root.iter(f"{CSL}name"):
        if name.get("initialize") == "false":
            name.attrib.pop("initialize-with", None)
            continue
        if "initialize-with" not in name.attrib:
            owner = next(
                (e for e in name.iterancestors() if e in inherited),
                root if root in inherited else None,
            )
            if owner is not None:
                name.set("initialize-with", inherited[owner])
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")


@once
def _file_digest(filename: str) -> str:
    return hashlib.sha256((STYLES_DIR / filename).read_bytes()).hexdigest()


@once
def load_style(filename: str) -> CitationStylesStyle:
    """A CSL style from `csl/` (or an absolute path), read once per process."""
    tree = etree.parse(STYLES_DIR / filename)
    return CitationStylesStyle(BytesIO(_with_initialize_false(tree)), validate=False)


# The en-US locale puts a full stop or comma that follows a closing quote inside it
# (“Title.”), as Chicago and MLA require; citeproc-py leaves it outside.
PUNCTUATION_AFTER_QUOTE = re.compile(r"”([.,])")


def _for_citeproc_py(item: dict) -> dict:
    """The item with Han, kana and Hangul names whole (毛泽东): CSL writes them family name
    first without a space, which citeproc-py does not, so it would print “泽东 毛”."""
    names = [
        {"literal": name["family"] + name.get("given", "")}
        if in_east_asian_script(name.get("family", ""))
        else name
        for name in item.get("author", [])
    ]
    return {**item, "author": names} if names else item


def _escaped(value):
    """Every string of a CSL item escaped for HTML: citeproc-py's HTML output does not."""
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, list):
        return [_escaped(part) for part in value]
    if isinstance(value, dict):
        return {key: _escaped(part) for key, part in value.items()}
    return value


# A style keeps the state of the entry being rendered on its elements, so one thread at a
# time renders.
RENDERING = threading.Lock()


def render(filename: str, item: dict) -> SafeString:
    """One bibliography entry in the style, as HTML (italics as <i>, text escaped)."""
    source = CiteProcJSON([_escaped(_for_citeproc_py(item))])
    with RENDERING:
        style = load_style(filename)
        bibliography = CitationStylesBibliography(style, source, formatter.html)
        bibliography.register(ProcessorCitation([CitationItem(item["id"])]))
        text = str(bibliography.bibliography()[0])
    if style.root.get_locale_option("punctuation-in-quote") == "true":
        text = PUNCTUATION_AFTER_QUOTE.sub(r"\1”", text)
    return mark_safe(text)


def plain_text(citation_html: str) -> str:
    """A styled citation without its italics markup, for copying as text."""
    return html.unescape(strip_tags(citation_html))


def styled_citations(citation: Citation) -> list[tuple[str, str, SafeString]]:
    """(key, label, HTML) for each text style the record page offers.

    Rendering takes citeproc-py tens of milliseconds a style, so the entries are cached
    under a digest of what they are made from: any change to the record or to a style file
    makes a new key.
    """
    item = csl_item(citation)
    styles = settings.ARCHIVE_CITATION_STYLES
    files = {filename: _file_digest(filename) for _label, filename in styles.values()}
    made_from = json.dumps([item, styles, files], sort_keys=True, ensure_ascii=False)
    key = "citations:" + hashlib.sha256(made_from.encode()).hexdigest()
    try:
        rendered = cache.get(key)
    except Exception as error:
        # The cache is an optimisation: when it is unreachable the entries are rendered.
        logger.warning("The cache is unreachable; citations are rendered afresh: %r", error)
        rendered = None
    if rendered is None:
        rendered = {
            name: str(render(filename, item)) for name, (_label, filename) in styles.items()
        }
        try:
            cache.set(key, rendered, timeout=24 * 60 * 60)
        except Exception as error:
            logger.warning("The cache is unreachable; citations are not kept: %r", error)
    return [(name, label, mark_safe(rendered[name])) for name, (label, _file) in styles.items()]
