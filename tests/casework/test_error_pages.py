"""What a user sees when a page is missing or fails, with DEBUG off as in production and in the demo: the
platform's own pages in Traditional Chinese (English too for the 500 page), never Django's technical page with
the URL list or a traceback. Static files are served by WhiteNoise when DEBUG is off."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=False)
def test_an_unknown_address_shows_the_platforms_not_found_page_in_zh_hant():
    response = Client().get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert 'id="not-found"' in body and 'lang="zh-Hant-TW"' in body
    assert "URLconf" not in body and "Page not found (404)" not in body  # Django's technical page


@override_settings(DEBUG=False, ROOT_URLCONF="tests.error_urls")
def test_a_failing_page_shows_the_platforms_error_page_without_details():
    response = Client(raise_request_exception=False).get("/__broken__/")
    body = response.content.decode()
    assert response.status_code == 500
    assert 'id="server-error"' in body and "系統發生錯誤" in body and "Something went wrong" in body
    assert "RuntimeError" not in body and "Traceback" not in body and "never see" not in body


@override_settings(DEBUG=True, ROOT_URLCONF="tests.error_urls")
def test_with_debug_on_the_developer_gets_the_technical_page_instead():
    # The other side of the rule: the 500 page above is what DEBUG off gives, not a page that always shows.
    response = Client(raise_request_exception=False).get("/__broken__/")
    assert response.status_code == 500 and "RuntimeError" in response.content.decode()


@override_settings(DEBUG=False, WHITENOISE_USE_FINDERS=True)
def test_static_files_are_served_by_whitenoise_with_debug_off():
    response = Client().get("/static/css/app.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content])
