"""The API answers in the caller's language: every error a client can provoke reads in zh-Hant when asked for it
(``Accept-Language``), in English when asked for English, and names no model or Python parser."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from integrations.feeds.tokens import issue_token

pytestmark = pytest.mark.django_db

# An English phrase: two words or more of Latin letters, in a string with no Chinese character.
ENGLISH = re.compile(r"[A-Za-z]{2,}[ ,.'][A-Za-z ,.'()-]{3,}")
CJK = re.compile(r"[\u4e00-\u9fff]")


def strings(body):
    if isinstance(body, dict):
        for value in body.values():
            yield from strings(value)
    elif isinstance(body, list):
        for value in body:
            yield from strings(value)
    elif isinstance(body, str):
        yield body


def english_in(body) -> list[str]:
    return [s for s in strings(body) if ENGLISH.search(s) and not CJK.search(s)]


def ask(client: Client, method: str, url: str, language: str = "zh-hant", **kw):
    response = getattr(client, method)(url, HTTP_ACCEPT_LANGUAGE=language, **kw)
    return response.status_code, response.json()


def errors_a_client_can_provoke(world):
    """(who, method, url, extra, expected status): one of each kind of refusal the API gives."""
    police_key = issue_token(bureau=world.b.police, name="police nightly")[1]
    json = {"content_type": "application/json"}
    return [
        (None, "get", "/api/cases/", {}, 403),  # not signed in
        (None, "post", "/api/integrations/feeds/police.contacts/", {"HTTP_AUTHORIZATION": "Token nope"}, 401),
        (None, "post", "/api/integrations/feeds/police.contacts/", {"HTTP_AUTHORIZATION": "Token a b"}, 401),
        (
            None,
            "post",
            "/api/integrations/feeds/no.such.feed/",
            {"HTTP_AUTHORIZATION": f"Token {police_key}"},
            404,
        ),
        (
            None,
            "post",
            "/api/integrations/feeds/police.contacts/",
            {"HTTP_AUTHORIZATION": f"Token {police_key}", "data": {"rows": "x"}, **json},
            400,
        ),
        (
            None,
            "post",
            "/api/integrations/feeds/police.contacts/",
            {"HTTP_AUTHORIZATION": f"Token {police_key}", "data": {"rows": [{"name": "a\x00b"}]}, **json},
            400,
        ),
        ("officer", "get", "/api/cases/999999/", {}, 404),  # a missing object
        ("officer", "get", "/api/youth/NOPE/", {}, 404),
        ("officer", "post", "/api/cases/", {"data": {}, **json}, 400),  # required fields
        ("officer", "post", "/api/cases/", {"data": "{not json", **json}, 400),  # a body that is not JSON
        ("officer", "post", "/api/cases/", {"data": "<x/>", "content_type": "application/xml"}, 415),
        ("officer", "delete", "/api/cases/1/", {}, 405),
        ("officer", "get", "/api/cases/?page=999", {}, 404),
        ("officer", "get", "/api/alerts/?status=zzz", {}, 400),  # a filter choice not on the list
        ("officer", "get", "/api/audit/", {}, 403),  # not the officer's to read
        (
            "officer",
            "post",
            f"/api/alerts/{world.alert.pk}/decide/",
            {"data": {"decision": "z"}, **json},
            400,
        ),
        ("steward", "post", "/api/integrations/review/999/accept/", {"data": {}, **json}, 404),
        ("steward", "post", "/api/integrations/quarantine/999/resubmit/", {"data": {}, **json}, 404),
        ("modeller", "post", "/api/models/999/activate/", {"data": {}, **json}, 404),
        (
            "supervisor",
            "post",
            f"/api/cases/{world.case.pk}/move/",
            {"data": {"move": "approve_closure", "acknowledge_undone": True}, **json},
            400,
        ),
    ]


def test_every_refusal_reads_in_zh_hant_when_asked_for_it(world):
    for who, method, url, extra, expected in errors_a_client_can_provoke(world):
        client = Client()
        if who:
            client.force_login(getattr(world.u, who))
        code, body = ask(client, method, url, **extra)
        assert code == expected, (who, method, url, code, body)
        assert not english_in(body), (who, method, url, body)
        assert any(CJK.search(s) for s in strings(body)), (who, method, url, body)


def test_the_same_refusals_read_in_english_when_asked_for_english(world):
    for who, method, url, extra, expected in errors_a_client_can_provoke(world):
        client = Client()
        if who:
            client.force_login(getattr(world.u, who))
        code, body = ask(client, method, url, language="en", **extra)
        assert code == expected, (who, method, url, code, body)
        assert not any(CJK.search(s) for s in strings(body) if s not in ("police.contacts",)), (url, body)


def test_a_missing_object_names_no_model_and_is_not_told_from_a_hidden_one(world):
    """Django's own 404 text names the model ("No ReviewPair matches the given query."): the API says only that
    nothing was found, the same for an object that does not exist and one the reader may not see."""
    client = Client()
    client.force_login(world.u.counsellor)
    missing = ask(client, "get", "/api/cases/999999/", language="en")
    hidden = ask(client, "get", f"/api/cases/{world.case.pk}/", language="en")
    assert missing == hidden == (404, {"detail": "Not found."})
    assert ask(client, "get", "/api/cases/999999/")[1] == {"detail": "查無資料。"}


def test_a_body_that_is_not_json_is_said_plainly_without_the_parsers_words(world):
    client = Client()
    client.force_login(world.u.officer)
    code, body = ask(
        client, "post", "/api/cases/", language="en", data="{bad", content_type="application/json"
    )
    assert (code, body) == (400, {"detail": "The request body is not valid JSON."})
    assert ask(client, "post", "/api/cases/", data="{bad", content_type="application/json")[1] == {
        "detail": "請求內容不是有效的 JSON。"
    }


def test_a_throttled_caller_is_told_when_to_retry_in_their_language(world, settings):
    from django.core.cache import cache

    cache.clear()
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    from rest_framework.settings import api_settings

    api_settings.reload()
    try:
        client = Client()
        client.force_login(world.u.officer)
        answers = [ask(client, "get", "/api/cases/") for _ in range(3)]
    finally:
        cache.clear()
        api_settings.reload()
    code, body = answers[-1]
    assert code == 429
    assert "請求過於頻繁" in body["detail"] and "秒後再試" in body["detail"], body
