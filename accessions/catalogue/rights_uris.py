"""Validation of rights URIs: only rightsstatements.org and Creative Commons are accepted."""

import re

from django.core.exceptions import ValidationError

RIGHTS_URI = re.compile(
    r"^https?://(?:"
    r"rightsstatements\.org/(?:vocab|page)/[A-Za-z-]+/1\.0/?"
    r"|creativecommons\.org/(?:licenses/[a-z-]+/\d\.\d(?:/[a-z]{2})?|publicdomain/(?:zero/1\.0|mark/1\.0))/?"
    r")$"
)


def validate_rights_uri(value: str) -> None:
    if value and not RIGHTS_URI.match(value):
        raise ValidationError(
            "Enter a rightsstatements.org URI "
            "(e.g. http://rightsstatements.org/vocab/InC-EDU/1.0/) "
            "or a Creative Commons URI (e.g. https://creativecommons.org/licenses/by/4.0/).",
            code="invalid_rights_uri",
        )
