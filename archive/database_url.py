"""Turn a DATABASE_URL into a Django DATABASES entry (sqlite:/// and postgres:// only)."""

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}


class DatabaseURLError(ValueError):
    pass


def parse_database_url(url: str, *, base_dir: Path) -> dict:
    """Return the DATABASES["default"] dict that the URL describes."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path is relative to the project; sqlite:////abs/path is absolute.
        raw = unquote(parts.path)
        if raw in ("", "/"):
            raise DatabaseURLError(
                "A sqlite DATABASE_URL needs a file path: sqlite:///var/db.sqlite3"
            )
        if raw == "/:memory:":
            name = ":memory:"
        elif raw.startswith("//"):
            name = raw[1:]
        else:
            name = str(base_dir / raw.lstrip("/"))
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name}
    if parts.scheme in POSTGRES_SCHEMES:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise DatabaseURLError("A postgres DATABASE_URL needs a database name after the host.")
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise DatabaseURLError(
        f"Unsupported DATABASE_URL scheme {parts.scheme!r}: use sqlite:/// or postgres://."
    )
