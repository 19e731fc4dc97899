"""One log layout for every line the process writes: ours, the access lines, granian's and the
libraries'. ``GOVSERVICE_LOG_FORMAT=text`` (default) or ``json`` (one object per line).

The standard library is enough here: one :class:`logging.Formatter` subclass serves both layouts,
granian takes the same handler through its ``log_dictconfig``, and no call site has to change its
``log.info("... %s", x)`` style (structlog would have added a second logging API beside it).

The id of the request being served is kept in :data:`REQUEST_ID` (a context variable, so each
asyncio task sees its own) and :class:`RequestIdFilter` stamps it on every record of that request.
"""

from __future__ import annotations

import json
import logging
import logging.config
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REQUEST_ID: ContextVar[str | None] = ContextVar("govservice_request_id", default=None)
FORMATS = ("text", "json")
_TEXT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamps ``record.request_id`` with the id of the request being served ("-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = REQUEST_ID.get() or "-"
        return True


class LineFormatter(logging.Formatter):
    """Text: ``time LEVEL logger [request id]: message``. JSON: the same as an object, with the
    structured ``fields`` a caller passed (``extra={"fields": {...}}``) merged in."""

    def __init__(self, layout: str = "text") -> None:
        super().__init__(_TEXT, datefmt="%Y-%m-%dT%H:%M:%S%z")
        self.layout = layout

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get() or "-"
        record.request_id = request_id
        if self.layout != "json":
            return super().format(record)
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id != "-":
            line["requestId"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_config(level: str, layout: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the whole process, granian's loggers included."""
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "line",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "govservice.logs.RequestIdFilter"}},
        "formatters": {"line": {"()": "govservice.logs.LineFormatter", "layout": layout}},
        "handlers": {"console": handler},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "_granian": {"handlers": ["console"], "level": level, "propagate": False},
            "granian.access": {"handlers": ["console"], "level": level, "propagate": False},
            "alembic": {"level": "WARNING"},
            # httpx and httpcore log every request's URL at INFO: webhook targets are not log material.
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
    }


def setup_logging(level: str, layout: str) -> None:
    logging.config.dictConfig(log_config(level, layout))
