"""Opening a record by stating a purpose, and its review, in a real browser (Traditional Chinese by default).

Assertions lean on URLs, ids, data attributes and youth public IDs rather than on translated text.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from casework.models import AccessGrant, AccessReviewOutcome, AuditAction, AuditEntry
from tests.browser.conftest import PHONE, horizontal_overflow, login, snap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PURPOSE = "少年隊今晚接獲通報，該少年於深夜場所出入，需確認是否已有輔導個案"


def test_officer_opens_a_record_by_stating_a_purpose_and_the_supervisor_reviews_it(
    new_page, live_server, world
):
    youth_id = world.y.none.public_id
    page = new_page()
    login(page, live_server, "officer")

    # The record itself answers 404, as it always did.
    response = page.goto(f"{live_server.url}/youth/{youth_id}/")
    assert response.status == 404

    page.goto(f"{live_server.url}/youth/")
    form = page.locator("#open-record form")
    expect(form).to_be_visible()
    snap(page, "60_youth_list_with_exact_id_form")
    form.locator("input[name=identifier]").fill(youth_id.lower())
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/open-record/")
    expect(page.locator(".purpose-card .typed-id")).to_have_text(youth_id)
    # Nothing of the youth is on the purpose page.
    expect(page.locator("main")).not_to_contain_text(world.y.none.name)
    snap(page, "61_purpose_form")

    # "x" is not a purpose.
    page.select_option("#id_purpose_code", "new_report")
    page.fill("#id_purpose_text", "x")
    with page.expect_navigation():
        page.locator(".purpose-form button[type=submit]").click()
    expect(page.locator(".field-purpose_text .field-error")).to_be_visible()
    assert not AccessGrant.objects.exists()
    snap(page, "62_purpose_form_refused")

    page.fill("#id_purpose_text", PURPOSE)
    with page.expect_navigation():
        page.locator(".purpose-form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/youth/{youth_id}/")
    banner = page.locator(".break-glass-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(PURPOSE)
    grant = AccessGrant.objects.get()
    expect(banner).to_have_attribute("data-grant", str(grant.pk))
    # Police details in full (the officer's bureau), a count for the others.
    expect(page.locator("#source-police")).to_have_attribute("data-detail", "full")
    snap(page, "63_record_opened_with_banner")
    page.reload()
    assert AuditEntry.objects.filter(action=AuditAction.VIEW, detail__break_glass=grant.pk).count() == 2

    # The police supervisor reviews it.
    reviewer = new_page()
    login(reviewer, live_server, "police_supervisor")
    reviewer.goto(f"{live_server.url}/access-reviews/")
    row = reviewer.locator(f'tr[data-grant="{grant.pk}"]')
    expect(row).to_have_class("awaiting-review")
    expect(row).to_contain_text(youth_id)
    expect(row).to_contain_text(PURPOSE)
    expect(row.locator("td.num")).to_have_text("2")
    expect(row.locator(".grant-flag-unreviewed")).to_be_visible()
    snap(reviewer, "64_access_review_list")

    with reviewer.expect_navigation():
        row.locator(f'a[href="/access-reviews/{grant.pk}/"]').click()
    expect(reviewer.locator("table.grant-views tbody tr")).to_have_count(2)
    snap(reviewer, "65_access_review_detail")
    reviewer.locator("input[name=outcome][value=not_justified]").check()
    reviewer.fill("#id_note", "No report on file at the police unit")
    with reviewer.expect_navigation():
        reviewer.locator("#review button[type=submit]").click()
    expect(reviewer).to_have_url(f"{live_server.url}/access-reviews/")
    expect(reviewer.locator(f'tr[data-grant="{grant.pk}"] .grant-flag-not_justified')).to_be_visible()
    grant.refresh_from_db()
    assert grant.review_outcome == AccessReviewOutcome.NOT_JUSTIFIED
    assert grant.reviewed_by == world.u.police_supervisor

    # On a phone the list scrolls inside its own box; the page never scrolls sideways.
    reviewer.set_viewport_size(PHONE)
    snap(reviewer, "66_access_review_list_phone")
    scroll_width, inner_width = horizontal_overflow(reviewer)
    assert scroll_width <= inner_width + 1, f"review list is {scroll_width}px wide on a {inner_width}px phone"


def test_a_made_up_id_gets_the_same_purpose_page_then_a_404(page, live_server, world):
    login(page, live_server, "officer")
    page.goto(f"{live_server.url}/open-record/")
    page.fill("#id_identifier", "Y2222222222")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator(".purpose-card .typed-id")).to_have_text("Y2222222222")
    page.select_option("#id_purpose_code", "court_request")
    page.fill("#id_purpose_text", "地方法院少年法庭來函調閱資料")
    with page.expect_navigation() as navigation:
        page.locator(".purpose-form button[type=submit]").click()
    assert navigation.value.status == 404
    assert not AccessGrant.objects.exists()
