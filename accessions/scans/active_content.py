"""Active content in uploads: PDF scripts and actions, and images that are also HTML or ZIP.

Such files are refused, not cleaned: an original is kept untouched with its SHA-256 (the
fixity check re-reads it), so a cleaned copy would be a second file that is no longer the
original. A real scan never needs a script, and the staff member who gets the message can
print or export the document to a plain PDF or image and attach that.
"""

import re
import zlib

# PDF names that run code, reach outside the document or carry other files. Names may be
# written with #xx escapes (/J#61vaScript), so each letter may be either.
PDF_ACTIVE_NAMES = (
    "JavaScript",
    "JS",
    "Launch",
    "SubmitForm",
    "ImportData",
    "GoToR",
    "GoToE",
    "RichMedia",
    "EmbeddedFile",
    "EmbeddedFiles",
    "XFA",
)
# After a name come whitespace or a delimiter; "/JSON" is not "/JS".
NAME_END = rb"(?=[\s()<>\[\]{}/%]|$)"


def _name_pattern(name: str) -> bytes:
    """A PDF name, each letter as itself or as #xx (hex digits in either case)."""
    letters = b""
    for letter in name:
        high, low = f"{ord(letter):02x}"
        escaped = f"#[{high}{high.upper()}][{low}{low.upper()}]".encode()
        letters += b"(?:" + letter.encode() + b"|" + escaped + b")"
    return b"/" + letters + NAME_END


PDF_ACTIVE = re.compile(b"|".join(_name_pattern(name) for name in PDF_ACTIVE_NAMES))
# The names of the objects an object stream holds are compressed inside it.
OBJECT_STREAM = re.compile(rb"/Type\s*/ObjStm\b")
STREAM_START = re.compile(rb"stream\r?\n")
# An object stream holds dictionaries, not images: a few megabytes at most.
OBJECT_STREAM_LIMIT = 64 * 1024 * 1024

# Markup a browser would run if it took the file for a page.
HTML = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|iframe|object|embed|svg|frameset)[\s>/]"
    rb"|javascript:",
    re.IGNORECASE,
)
# A ZIP reader finds the archive by its end record, in the file's last 65,557 bytes.
ZIP_END = b"PK\x05\x06"
ZIP_END_SEARCH = 22 + 65_535


def pdf_active_content(data: bytes) -> str | None:
    """The first active name in a PDF (in its objects or its object streams), or None."""
    if found := PDF_ACTIVE.search(data):
        return _decoded_name(found.group())
    for match in OBJECT_STREAM.finditer(data):
        start = STREAM_START.search(data, match.end())
        end = data.find(b"endstream", start.end()) if start else -1
        if end < 0:
            continue
        try:
            inflated = zlib.decompressobj().decompress(data[start.end() : end], OBJECT_STREAM_LIMIT)
        except zlib.error:
            continue
        if found := PDF_ACTIVE.search(inflated):
            return _decoded_name(found.group())
    return None


def _decoded_name(name: bytes) -> str:
    return re.sub(rb"#([0-9a-fA-F]{2})", lambda m: bytes([int(m[1], 16)]), name).decode("latin-1")


def image_polyglot(upload) -> str | None:
    """What else an image file is (an HTML page, a ZIP archive), or None."""
    overlap = 64
    tail = b""
    upload.seek(0)
    for chunk in iter(lambda: upload.read(8 * 1024 * 1024), b""):
        window = tail + chunk
        if HTML.search(window):
            return "an HTML page"
        tail = window[-overlap:]
    upload.seek(0)
    return "a ZIP archive" if zip_appended(upload) else None


def zip_appended(upload) -> bool:
    """Whether a ZIP archive's end record sits where ZIP readers look for it."""
    upload.seek(0, 2)
    size = upload.tell()
    upload.seek(max(0, size - ZIP_END_SEARCH))
    found = ZIP_END in upload.read()
    upload.seek(0)
    return found
