"""A data steward works the record-match review queue in a real browser, in Traditional Chinese.

Assertions lean on URLs, ids, record keys and youth public IDs rather than on translated text.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from casework.models import YouthMerge
from integrations.models import ReviewPair, ReviewStatus
from tests.browser.conftest import PHONE, TABLET, horizontal_overflow, html_lang, login, nav_hrefs, snap
from tests.fixtures import actor
from tests.linkage_fixtures import build_linkage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUEUE = "/integrations/review/"
OVERVIEW = "/integrations/linkage/"


def test_steward_reviews_a_pair_side_by_side_and_accepts_it(page, live_server, world):
    linked = build_linkage(actor(world.u.steward), history=True)
    login(page, live_server, "steward")
    assert html_lang(page) == "zh-Hant-TW"
    assert QUEUE in nav_hrefs(page) and OVERVIEW in nav_hrefs(page)

    page.locator(f'header nav a[href="{QUEUE}"]').click()
    expect(page).to_have_url(f"{live_server.url}{QUEUE}")
    expect(page.locator(f'header nav a[href="{QUEUE}"]')).to_have_attribute("aria-current", "page")
    row = page.locator(f'main table tbody tr[data-pair="{linked.pair.pk}"]')
    expect(row).to_contain_text("PT-1")
    expect(row).to_contain_text("WT-1")
    expect(row).to_contain_text("93.4%")
    snap(page, "20_steward_review_queue")

    row.locator(f'a[href="{QUEUE}{linked.pair.pk}/"]').click()
    expect(page).to_have_url(f"{live_server.url}{QUEUE}{linked.pair.pk}/")
    table = page.locator("#side-by-side")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr[data-field]")).to_have_count(8)
    birth = table.locator('tr[data-field="birth_date"]')
    expect(birth.locator("td").nth(0)).to_have_text("2010-03-04")
    expect(birth.locator("td").nth(1)).to_have_text("2010-04-03")
    expect(table.locator('tr[data-field="district"] td.weight-neg')).to_have_text("-2.31")
    expect(table.locator('tr[data-field="given_name"] td.weight-pos')).to_have_text("+6.52")
    # Positive and negative weights are told apart by colour, not only by sign.
    pos = table.locator('tr[data-field="given_name"] td.weight-pos').evaluate(
        "e => getComputedStyle(e).color"
    )
    neg = table.locator('tr[data-field="district"] td.weight-neg').evaluate("e => getComputedStyle(e).color")
    assert pos != neg
    expect(page.locator("#left-youth a")).to_have_text(linked.a.public_id)
    expect(page.locator("#right-youth a")).to_have_text(linked.b.public_id)
    snap(page, "21_steward_review_pair")

    page.set_viewport_size(TABLET)
    scroll_width, inner_width = horizontal_overflow(page)
    assert scroll_width <= inner_width + 1, f"pair page is {scroll_width}px wide in a {inner_width}px tablet"
    snap(page, "22_tablet_review_pair")
    page.set_viewport_size(PHONE)
    scroll_width, inner_width = horizontal_overflow(page)
    assert scroll_width <= inner_width + 1, f"pair page is {scroll_width}px wide in a {inner_width}px phone"
    snap(page, "22_phone_review_pair")
    page.set_viewport_size({"width": 1280, "height": 800})

    # An empty reason is stopped by the browser before it reaches the server.
    page.locator("#reject-form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}{QUEUE}{linked.pair.pk}/")
    assert ReviewPair.objects.get(pk=linked.pair.pk).status == ReviewStatus.OPEN

    with page.expect_navigation():
        page.locator("#accept-form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}{QUEUE}?status=open")
    expect(page.locator(".messages li.success")).to_contain_text(linked.a.public_id)
    expect(page.locator("main table tbody tr[data-pair]")).to_have_count(0)
    snap(page, "23_steward_review_accepted")
    assert ReviewPair.objects.get(pk=linked.pair.pk).status == ReviewStatus.ACCEPTED
    merge = YouthMerge.objects.get(absorbed=linked.b)

    # The merge is on the overview, with its Reverse button; the kept youth's page lists all its records.
    page.locator(f'header nav a[href="{OVERVIEW}"]').click()
    expect(page.locator("#active-model")).to_contain_text("v3")
    expect(page.locator(f'#merges tr[data-merge="{merge.pk}"] button')).to_be_visible()
    expect(page.locator("#sealing")).to_contain_text("SN-1")
    snap(page, "24_steward_linkage_overview")

    page.locator(f'#merges tr[data-merge="{merge.pk}"] a', has_text=linked.a.public_id).click()
    expect(page.locator("#youth-id")).to_have_text(linked.a.public_id)
    expect(page.locator("table.linked-records tbody tr")).to_have_count(3)
    snap(page, "25_steward_linked_records")
