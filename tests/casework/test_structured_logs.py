"""Structured logs as operations read them: one JSON object per line with the request id (the proxy's, when it
is a plain token) and the user id, the same id returned to the client, and national IDs masked."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest

from config.logging import logging_config

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """The production JSON handler on the root logger, into a buffer."""
    buffer = io.StringIO()
    config = logging_config("json", "INFO")
    handler_spec = config["handlers"]["console"]
    formatter = logging.config.DictConfigurator(config).configure_custom(
        dict(config["formatters"]["default"])
    )
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatter)
    for name in handler_spec["filters"]:
        spec = dict(config["filters"][name])
        handler.addFilter(logging.config.DictConfigurator(config).resolve(spec.pop("()"))())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    root.removeHandler(handler)


def test_a_request_logs_json_with_the_proxys_request_id_and_the_user_id(client, world, json_lines):
    client.force_login(world.u.officer)
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="edge-4f2a9c")
    assert response.status_code == 404 and response["X-Request-ID"] == "edge-4f2a9c"
    line = next(item for item in json_lines() if item["logger"] == "django.request")
    assert line["request_id"] == "edge-4f2a9c" and line["user_id"] == str(world.u.officer.pk)
    assert line["level"] == "WARNING" and "officer" not in json.dumps(line)


def test_a_request_id_that_is_not_a_plain_token_is_replaced(client, json_lines):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID='x" injected\nline')
    rid = response["X-Request-ID"]
    assert rid != 'x" injected\nline' and len(rid) == 32 and rid.isalnum()
    line = next(item for item in json_lines() if item["logger"] == "django.request")
    assert line["request_id"] == rid and line["user_id"] == ""


def test_national_ids_never_reach_the_log(json_lines):
    logging.getLogger("integrations.feeds.importing").warning("row for %s refused", "A123456789")
    logging.getLogger("integrations.feeds.importing").warning("row for Ａ１２３４５６７８９ refused")
    messages = [item["message"] for item in json_lines()]
    assert messages == ["row for A1******89 refused", "row for A1******89 refused"]


def test_a_traceback_quoting_a_national_id_is_masked_too(json_lines):
    try:
        raise ValueError("duplicate key (record_key)=(A123456789)")
    except ValueError:
        logging.getLogger("integrations.feeds.uploads").exception("queued import of batch %s stopped", 7)
    (line,) = json_lines()
    assert line["message"] == "queued import of batch 7 stopped"
    assert "A1******89" in line["exc_info"] and "A123456789" not in json.dumps(line)


def test_the_servers_request_lines_are_masked_too():
    """Review 4, F10: "GET /youth/?q=A123456789" from the development server's request log goes through the
    same masking (the access log masks it already)."""
    from config.logging import RedactFilter

    config = logging_config("text", "INFO")
    assert config["loggers"]["django.server"] == {
        "handlers": ["console"],
        "level": "INFO",
        "propagate": False,
    }
    live = logging.getLogger("django.server").handlers
    assert live and all(any(isinstance(f, RedactFilter) for f in h.filters) for h in live)
    record = logging.LogRecord(
        "django.server", logging.INFO, "", 0, '"%s" %s', ("GET /youth/?q=A123456789", 200), None
    )
    RedactFilter().filter(record)
    assert record.getMessage() == '"GET /youth/?q=A1******89" 200'


def test_the_servers_status_and_size_are_kept_whole():
    """Review 6, F6: "HTTP/1.1" 200 5595 read as a letter and nine digits garbled the status code."""
    from config.logging import RedactFilter

    line = ('"%s" %s %s', ("GET /youth/?q=A123456789 HTTP/1.1", 200, 5595))
    record = logging.LogRecord("django.server", logging.INFO, "", 0, line[0], line[1], None)
    RedactFilter().filter(record)
    assert record.getMessage() == '"GET /youth/?q=A1******89 HTTP/1.1" 200 5595'
