"""What the server-rendered pages show each role, in Traditional Chinese by default and in English."""

from __future__ import annotations

from django.urls import reverse

from casework.models import Alert
from tests.fixtures import PASSWORD


def test_traditional_chinese_is_the_default_and_english_is_one_switch_away(client, world):
    page = client.get(reverse("login")).content.decode()
    assert 'lang="zh-Hant-TW"' in page and "登入" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("login")).content.decode()
    assert 'lang="en"' in page and "Sign in" in page and "登入" not in page


def test_navigation_shows_each_role_only_its_pages(client, world):
    expectations = {
        "officer": ({"/alerts/", "/youth/", "/cases/", "/referrals/"}, {"/audit/", "/identity/", "/admin/"}),
        "auditor": ({"/audit/"}, {"/youth/", "/identity/", "/statistics/"}),
        "steward": ({"/identity/"}, {"/youth/", "/audit/"}),
        "modeller": ({"/statistics/"}, {"/youth/", "/audit/"}),
        "admin": ({"/admin/"}, {"/youth/", "/audit/"}),
    }
    for username, (shown, hidden) in expectations.items():
        client.login(username=username, password=PASSWORD)
        page = client.get(reverse("home")).content.decode()
        for url in shown:
            assert f'href="{url}"' in page, (username, url)
        for url in hidden:
            assert f'href="{url}"' not in page, (username, url)
        client.logout()


def test_officer_sees_police_details_and_only_a_count_of_school_records(client, world):
    client.login(username="officer", password=PASSWORD)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("youth-detail", args=[world.y.alert.public_id])).content.decode()
    assert "late_night_loitering" in page
    assert "1 record from this source exists" in page
    assert "unexcused" not in page


def test_counsellor_page_has_no_police_section(client, world):
    client.login(username="counsellor", password=PASSWORD)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("youth-detail", args=[world.y.student.public_id])).content.decode()
    assert "unexcused" in page
    assert "late_night_loitering" not in page
    assert "<h3>Police</h3>" not in page


def test_start_page_counts_overdue_alerts_for_the_bureau(client, world):
    Alert.objects.filter(pk=world.alert.pk).update(due_at=world.now.replace(year=world.now.year - 1))
    client.login(username="officer", password=PASSWORD)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home")).content.decode()
    assert "1 overdue" in page
    assert world.y.alert.public_id in page


def test_statistics_suppress_small_cells(client, world):
    client.login(username="modeller", password=PASSWORD)
    page = client.get(reverse("statistics")).content.decode()
    # Seven youth with one to three events of each source this month: every cell is below five.
    assert "&lt;5" in page
    assert world.y.case.name not in page
