"""Text made fit for XML 1.0, for every XML this archive writes (OAI-PMH, Atom, sitemaps)."""

import re

# Characters XML 1.0 cannot carry: most C0 controls, lone surrogates, U+FFFE and U+FFFF.
# Staff text pasted from old word processors has some, and so do hostile request arguments.
NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """The text without the characters XML 1.0 cannot carry."""
    return NOT_XML_CHARS.sub("", text)
