"""Validate a IIIF Presentation 3 manifest read from stdin with iiif-prezi3's models.

Runs in its own virtualenv (var/iiif-validator, made by `make iiif-validator`) because
iiif-prezi3 pins an older Pillow than the archive uses. Exit 0 and "valid", or exit 1 with
pydantic's errors.
"""

import json
import sys

from iiif_prezi3 import Manifest
from pydantic import ValidationError

try:
    Manifest(**json.load(sys.stdin))
except ValidationError as error:
    print(error)
    sys.exit(1)
print("valid")
