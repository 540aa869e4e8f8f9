"""Journeys through the foundation's pages in a real browser, one per role, each ending in a screenshot.

Assertions lean on URLs, ids, roles, youth public IDs and event codes rather than on translated text, so they
hold whether or not the zh-Hant catalogue has been compiled. Language is checked through ``<html lang>``.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, horizontal_overflow, html_lang, login, nav_hrefs, snap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZH = "zh-Hant-TW"
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Fairness-audit attributes (policy rule 7) must never reach a case page, in either language.
FAIRNESS_WORDS = ["原住民", "新住民", "indigenous", "immigrant"]
CASEWORK_PAGES = ["/triage/", "/tasks/", "/inbox/", "/youth/", "/cases/", "/referrals/", "/alerts/"]


def youth_url(live_server, youth) -> str:
    return f"{live_server.url}/youth/{youth.public_id}/"


def test_guidance_worker_reads_the_whole_record(page, live_server, world):
    """Committee guidance worker: start page tiles, youth list, y.case's record with all three sources."""
    login(page, live_server, "guidance")
    assert html_lang(page) == ZH
    tiles = page.locator("section.tiles a.tile")
    expect(tiles).to_have_count(4)
    assert tiles.evaluate_all("ts => ts.map(t => t.getAttribute('href'))") == [
        "/alerts/",
        "/referrals/?status=pending",
        "/cases/?mine=true",
        "/youth/",
    ]
    expect(page.locator('a.tile[href="/cases/?mine=true"] .tile-n')).to_have_text("1")
    expect(page.locator('a.tile[href="/youth/"] .tile-n')).to_have_text("1")
    assert nav_hrefs(page)[:8] == ["/", *CASEWORK_PAGES]
    snap(page, "01_guidance_home")

    page.locator('header nav a[href="/youth/"]').click()
    expect(page).to_have_url(f"{live_server.url}/youth/")
    expect(page.locator('header nav a[href="/youth/"]')).to_have_attribute("aria-current", "page")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("link", name=world.y.case.public_id)).to_be_visible()
    for other in (world.y.alert, world.y.referred, world.y.closed, world.y.student, world.y.none):
        expect(page.get_by_role("link", name=other.public_id)).to_have_count(0)
    snap(page, "02_guidance_youth_list")

    page.get_by_role("link", name=world.y.case.public_id).click()
    expect(page).to_have_url(youth_url(live_server, world.y.case))
    expect(page.locator("h1")).to_contain_text("甲案例")
    expect(page.locator("h1")).to_contain_text(world.y.case.public_id)
    event_day = (world.today - dt.timedelta(days=10)).isoformat()  # the fixture's events are 10 days old
    for source, kind, code in [
        ("school", "absence", "unexcused"),
        ("police", "police_offence", "theft"),
        ("welfare", "child_protection", "neglect"),
    ]:
        section = page.locator(f"#source-{source}")
        expect(section).to_have_attribute("data-detail", "full")
        row = section.locator(f'tr[data-kind="{kind}"]')
        expect(row).to_have_count(1)
        expect(row.locator(f'td[data-code="{code}"]')).to_have_count(1)
        expect(row).to_contain_text(event_day)
    expect(page.locator("#timeline .restricted")).to_have_count(0)
    expect(page.locator(f'#cases a[href="/cases/{world.case.pk}/"]')).to_be_visible()
    html = page.content().lower()
    for word in FAIRNESS_WORDS:
        assert word not in html, f"fairness attribute word {word!r} on the youth record"
    snap(page, "03_guidance_youth_record")


def test_juvenile_officer_alert_inbox_and_redacted_record(page, live_server, world):
    """Police officer: y.alert in the inbox; its record shows police in full, school only as a count."""
    login(page, live_server, "officer")
    page.locator('header nav a[href="/alerts/"]').click()
    expect(page).to_have_url(f"{live_server.url}/alerts/")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("offence_court_referral")
    expect(rows.get_by_role("link", name=world.y.alert.public_id)).to_be_visible()
    snap(page, "04_officer_alerts")

    rows.get_by_role("link", name=world.y.alert.public_id).click()
    expect(page).to_have_url(youth_url(live_server, world.y.alert))
    police = page.locator("#source-police")
    expect(police).to_have_attribute("data-detail", "full")
    expect(police.locator('tr[data-kind="police_deviant"]')).to_contain_text("深夜遊蕩")
    school = page.locator("#source-school")
    expect(school).to_have_attribute("data-detail", "restricted")
    expect(school.locator("[data-restricted-count]")).to_have_attribute("data-restricted-count", "1")
    expect(school.locator("table")).to_have_count(0)
    assert not DATE.search(school.inner_text()), "a school event date leaks to the police"
    expect(page.locator('tr[data-kind="absence"]')).to_have_count(0)
    welfare = page.locator("#source-welfare")
    expect(welfare).to_have_attribute("data-detail", "restricted")
    expect(welfare.locator("table, [data-restricted-count]")).to_have_count(0)
    expect(page.locator("#alerts li")).to_contain_text("offence_court_referral")
    snap(page, "05_officer_youth_record")

    response = page.goto(youth_url(live_server, world.y.case))
    assert response.status == 404
    expect(page.locator("#not-found")).to_be_visible()
    assert "甲案例" not in page.content()
    snap(page, "06_officer_other_youth_404")


def test_school_counsellor_sees_current_students_school_events_only(page, live_server, world):
    """Counsellor at J01: y.student listed with school events only; former and other schools' pupils not."""
    login(page, live_server, "counsellor")
    page.locator('header nav a[href="/youth/"]').click()
    expect(page.get_by_role("link", name=world.y.student.public_id)).to_be_visible()
    for other in (world.y.former, world.y.case, world.y.none):
        expect(page.get_by_role("link", name=other.public_id)).to_have_count(0)
    snap(page, "07_counsellor_youth_list")

    page.get_by_role("link", name=world.y.student.public_id).click()
    expect(page).to_have_url(youth_url(live_server, world.y.student))
    school = page.locator("#source-school")
    expect(school).to_have_attribute("data-detail", "full")
    expect(school.locator('tr[data-kind="absence"] td[data-code="unexcused"]')).not_to_have_count(0)
    expect(page.locator("#source-police")).to_have_count(0)
    expect(page.locator("#source-welfare")).to_have_count(0)
    expect(page.locator("#timeline .restricted")).to_have_count(0)
    assert "late_night_loitering" not in page.content()
    snap(page, "08_counsellor_student_record")

    response = page.goto(youth_url(live_server, world.y.former))
    assert response.status == 404
    expect(page.locator("#not-found")).to_be_visible()


def test_auditor_finds_the_guidance_workers_view(new_page, live_server, world):
    """A view by guidance in one browser shows up for the auditor, filtered by user and action."""
    worker = new_page()
    login(worker, live_server, "guidance")
    assert worker.goto(youth_url(live_server, world.y.case)).status == 200
    worker.context.close()

    page = new_page()
    login(page, live_server, "auditor")
    assert "/audit/" in nav_hrefs(page)
    page.locator('header nav a[href="/audit/"]').click()
    expect(page).to_have_url(f"{live_server.url}/audit/")
    page.fill("#id_username", "guidance")
    page.select_option("#id_action", "view")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    assert "username=guidance" in page.url and "action=view" in page.url
    expect(page.locator("#id_username")).to_have_value("guidance")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(1)
    row = rows.filter(has_text=world.y.case.public_id)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text("guidance")
    expect(row.locator("td.path")).to_have_text(f"/youth/{world.y.case.public_id}/")
    snap(page, "09_auditor_audit_log_filtered")


def test_language_switch_round_trip(page, live_server, world):
    """The header form switches to English and back, staying on the same page."""
    login(page, live_server, "guidance")
    page.goto(f"{live_server.url}/youth/")
    assert html_lang(page) == ZH
    page.select_option("#lang-select", "en")
    with page.expect_navigation():
        page.locator("form.lang-form button").click()
    expect(page).to_have_url(f"{live_server.url}/youth/")
    assert html_lang(page) == "en"
    nav = page.get_by_role("navigation", name="Main navigation")
    for label in ["Home", "Alerts", "Youth", "Cases", "Referrals"]:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    snap(page, "10_language_english")

    page.select_option("#lang-select", "zh-hant")
    with page.expect_navigation():
        page.locator("form.lang-form button").click()
    expect(page).to_have_url(f"{live_server.url}/youth/")
    assert html_lang(page) == ZH
    expect(page.locator("#lang-select option:checked")).to_have_text("繁體中文")
    snap(page, "11_language_back_to_chinese")


def test_data_steward_gets_403_on_casework_pages(page, live_server, world):
    """A non-caseworker's menu holds only their own pages, and casework pages answer 403."""
    login(page, live_server, "steward")
    hrefs = nav_hrefs(page)
    assert "/identity/" in hrefs
    for forbidden in [*CASEWORK_PAGES, "/audit/", "/statistics/"]:
        assert forbidden not in hrefs
    expect(page.locator("section.tiles")).to_have_count(0)
    snap(page, "12_steward_home")

    response = page.goto(f"{live_server.url}/youth/")
    assert response.status == 403
    expect(page.locator("#not-allowed")).to_be_visible()
    expect(page.locator("main table")).to_have_count(0)
    snap(page, "13_steward_youth_403")


def test_tablet_youth_record_does_not_overflow(new_page, live_server, world):
    """At 768x1024 (and at 390px) the integrated record fits the width; timeline tables scroll inside."""
    page = new_page(viewport=TABLET)
    login(page, live_server, "guidance")
    page.goto(youth_url(live_server, world.y.case))
    expect(page.locator("#source-police")).to_be_visible()
    scroll_width, inner_width = horizontal_overflow(page)
    assert scroll_width <= inner_width + 1, f"page is {scroll_width}px wide in a {inner_width}px viewport"
    snap(page, "14_tablet_youth_record")

    page.set_viewport_size(PHONE)
    scroll_width, inner_width = horizontal_overflow(page)
    assert scroll_width <= inner_width + 1, f"page is {scroll_width}px wide in a {inner_width}px phone"
    snap(page, "14_phone_youth_record")


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("guidance", "/"),
        ("guidance", "/youth/"),
        ("guidance", "/cases/"),
        ("officer", "/alerts/"),
        ("guidance", "/referrals/"),
        ("auditor", "/audit/"),
        ("steward", "/identity/"),
        ("supervisor", "/statistics/"),
    ],
)
def test_lists_fit_tablet_and_phone_widths(new_page, live_server, world, username, path):
    """Every list page fits a tablet's and a phone's width (wide tables scroll inside their own box)."""
    page = new_page(viewport=TABLET)
    login(page, live_server, username)
    assert page.goto(f"{live_server.url}{path}").status == 200
    name = path.strip("/") or "home"
    for label, viewport in [("tablet", TABLET), ("phone", PHONE)]:
        page.set_viewport_size(viewport)
        scroll_width, inner_width = horizontal_overflow(page)
        assert scroll_width <= inner_width + 1, (
            f"{path} is {scroll_width}px wide in a {inner_width}px {label}"
        )
        snap(page, f"15_{label}_{username}_{name}")


def test_logout_returns_to_the_login_page(page, live_server, world):
    """The header's log-out button ends the session."""
    login(page, live_server, "guidance")
    with page.expect_navigation():
        page.locator("header form.logout-form button").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.locator("#id_username")).to_be_visible()
    expect(page.locator("header nav")).to_have_count(0)
    snap(page, "16_logged_out")

    page.goto(f"{live_server.url}/youth/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/youth/")


def test_wrong_password_is_refused(page, live_server, world):
    """A failed sign-in stays on the form with an alert and no navigation."""
    page.goto(f"{live_server.url}/accounts/login/")
    assert html_lang(page) == ZH
    page.fill("#id_username", "guidance")
    page.fill("#id_password", "not-the-password")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("header nav")).to_have_count(0)
    snap(page, "17_login_failed")


def test_audit_log_shows_every_matching_entry(page, live_server, world):
    """The auditor's own login is listed; reading the log is logged, and shows up from the next read on."""
    login(page, live_server, "auditor")
    page.goto(f"{live_server.url}/audit/?username=auditor")
    rows = page.locator("main table tbody tr")
    expect(rows.filter(has_text="/accounts/login/")).to_have_count(1, timeout=2_000)
    expect(rows.filter(has_text="/audit/")).to_have_count(0)
    page.reload()
    expect(rows.filter(has_text="/audit/")).to_have_count(1)


def test_default_language_is_traditional_chinese(new_page, live_server, world):
    """A browser asking for a language the site does not offer gets Traditional Chinese."""
    page = new_page(locale="fr-FR")
    page.goto(f"{live_server.url}/accounts/login/")
    assert html_lang(page) == ZH
    expect(page.locator("#lang-select option:checked")).to_have_text("繁體中文")
