"""Structured logs: one JSON object per line from web processes and Celery workers, each with the request id
(or the task id) and the user id, and never a national ID (masked by the same normaliser as the access log).

* :class:`RequestContextMiddleware` takes the proxy's ``X-Request-ID`` when it is a plain token, else makes
  one, returns it in the response's ``X-Request-ID``, and records the signed-in user's id (never the name).
* ``config.celery`` sets the task id as the request id while a task runs.
* :class:`ContextFilter` puts both on every record; :class:`RedactFilter` masks national IDs in the message.

``LOG_FORMAT=json`` (the default with production settings) or ``text``.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from django.core.signals import request_finished

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
user_id: contextvars.ContextVar[str] = contextvars.ContextVar("user_id", default="")

_TOKEN = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestContextMiddleware:
    """After authentication: one id per request, and who made it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.headers.get("X-Request-ID", "")
        rid = offered if _TOKEN.fullmatch(offered) else uuid.uuid4().hex
        user = getattr(request, "user", None)
        # Not reset on the way out: Django logs a 4xx/5xx answer after the middleware has returned. The
        # request_finished signal clears them (below), once the response is closed.
        request_id.set(rid)
        user_id.set(str(user.pk) if getattr(user, "is_authenticated", False) else "")
        request.request_id = rid
        response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response


def clear_request_context(**_kwargs) -> None:
    request_id.set("")
    user_id.set("")


request_finished.connect(clear_request_context, dispatch_uid="config.logging.clear_request_context")


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.user_id = user_id.get()
        return True


class RedactFilter(logging.Filter):
    """Masks national IDs in the formatted message and in the traceback (an exception's message can quote a
    row: a database error names the key it refused). The masked traceback replaces ``exc_info``, so neither the
    text nor the JSON formatter prints the original."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        from casework.identifiers import redact_national_ids

        try:
            message = record.getMessage()
        except Exception:  # a broken format string: log it as it is rather than lose the line
            message = str(record.msg)
        if record.name == "django.server" and " HTTP/" in message:
            # A request line: the path may carry an ID; the protocol, status and size are figures whose digits
            # would otherwise be read as one ("HTTP/1.1" 200 5595 looks like a letter and nine digits).
            request, rest = message.rsplit(" HTTP/", 1)
            record.msg, record.args = redact_national_ids(request) + " HTTP/" + rest, ()
        else:
            record.msg, record.args = redact_national_ids(message), ()
        if record.exc_info:
            record.exc_text = redact_national_ids(self._formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact_national_ids(record.exc_text)
        return True


def logging_config(fmt: str, level: str) -> dict:
    formatter = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s u%(user_id)s] %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "config.logging.ContextFilter"},
            "redact": {"()": "config.logging.RedactFilter"},
        },
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["context", "redact"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        # The development server's request lines ("GET /youth/?q=... 200") go through the same masking: a
        # national ID typed into a URL must not reach the server's log whole (docs/security.md).
        "loggers": {"django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
    }
