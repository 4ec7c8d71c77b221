"""Stateless resumption tokens: the list's arguments and a keyset cursor, signed."""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.core import signing

from accessions.standards.oai.arguments import OAIError

SALT = "accessions.standards.oai.resumption"
# Long enough for a slow harvester to page through a million records.
LIFETIME = timedelta(days=2)


@dataclass(frozen=True)
class ListPosition:
    """Where a ListIdentifiers/ListRecords harvest stands: its arguments and the last item."""

    metadata_prefix: str
    from_text: str | None
    until_text: str | None
    set_spec: str | None
    after_updated_at: str
    after_pk: int
    cursor: int
    # Set by tokens issued before lists stopped giving their size; read, never written.
    complete_size: int = 0


def make_token(position: ListPosition) -> str:
    return signing.dumps(asdict(position), salt=SALT, compress=True)


def read_token(token: str) -> ListPosition:
    """The position a token names, or badResumptionToken if it is forged, garbled or expired."""
    try:
        data = signing.loads(token, salt=SALT, max_age=LIFETIME)
        position = ListPosition(**data)
        datetime.fromisoformat(position.after_updated_at)
    except signing.SignatureExpired:
        raise OAIError("badResumptionToken", "The resumption token has expired.") from None
    except (signing.BadSignature, TypeError, ValueError):
        raise OAIError("badResumptionToken", "The resumption token is not valid.") from None
    return position


def expiration(now: datetime) -> datetime:
    return now + LIFETIME
