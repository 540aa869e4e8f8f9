"""API rate limits: per signed-in person and per feed token, counted in the shared cache; beyond the limit a
429 with Retry-After, while another person or another bureau's token is unaffected."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from casework.models import Bureau, BureauKind
from integrations.feeds.tokens import issue_token

pytestmark = pytest.mark.django_db

LIMITED = {
    **settings.REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"user": "3/min", "feed": "2/hour", "anon": "100/min"},
}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@override_settings(REST_FRAMEWORK=LIMITED)
def test_a_person_beyond_the_limit_gets_429_with_retry_after_and_others_do_not(client, world):
    client.force_login(world.u.officer)
    answers = [client.get("/api/alerts/").status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    refused = client.get("/api/alerts/", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["detail"].lower()
    # Another person is counted on their own.
    client.force_login(world.u.guidance)
    assert client.get("/api/alerts/").status_code == 200


@override_settings(REST_FRAMEWORK=LIMITED)
def test_a_feed_token_beyond_the_limit_gets_429_and_another_bureaus_token_does_not():
    from django.test import Client

    keys = {}
    for code, kind in [("police", BureauKind.POLICE), ("welfare", BureauKind.WELFARE)]:
        bureau = Bureau.objects.get(kind=kind)
        keys[code] = issue_token(bureau=bureau, name=f"{code} nightly")[1]
    client = Client()
    url = reverse("integrations-api:feed-upload", args=["police.contacts"])

    def send(key):
        return client.post(url, data=[], content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}")

    assert [send(keys["police"]).status_code != 429 for _ in range(2)] == [True, True]
    refused = send(keys["police"])
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 60
    other = client.post(
        reverse("integrations-api:feed-upload", args=["welfare.reports"]),
        data=[],
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {keys['welfare']}",
    )
    assert other.status_code != 429


def test_the_default_limits_let_a_working_day_through():
    # The test settings lift the limits for the fuzzing tests; the real defaults are per minute and per hour.
    from config.settings import base

    rates = base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates["user"].endswith("/min") and rates["feed"].endswith("/hour")
