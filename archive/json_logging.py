"""One JSON object per log line, for log collectors (DJANGO_LOG_FORMAT=json)."""

import json
import logging
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else was passed in `extra=` and is kept.
STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# gunicorn's access log passes its request atoms as the record's arguments.
ACCESS_ATOMS = {"h": "remote", "m": "method", "U": "path", "q": "query", "s": "status", "M": "ms"}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in STANDARD_ATTRIBUTES and not name.startswith("_"):
                entry[name] = value
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            entry.update({name: record.args.get(atom) for atom, name in ACCESS_ATOMS.items()})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # Objects Django attaches (the request) become their text.
        return json.dumps(entry, default=str)
