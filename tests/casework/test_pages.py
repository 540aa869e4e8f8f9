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
    assert 'data-code="late_night_loitering">late-night loitering<' in page  # the code, read as words
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


def test_statistics_round_every_count_to_a_multiple_of_five(client, world):
    import re

    from casework.models import Event, EventSource

    client.login(username="modeller", password=PASSWORD)
    page = client.get(reverse("statistics")).content.decode()
    # Seven youth with one to three events of each source this month: no cell shows its true count.
    cells = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', page)]
    assert cells and all(n % 5 == 0 for n in cells)
    assert any(
        Event.objects.filter(source=s).count() % 5 for s in EventSource.values
    )  # there was rounding to do
    assert world.y.case.name not in page


def test_the_youth_page_shows_the_stored_score_and_hides_reasons_from_unseen_sources(world, client):
    """The score on the page is the stored value; a reason from welfare records is not told to a police
    officer who may not read welfare details."""
    import datetime as dt

    from casework.models import RiskScore

    youth = world.y.alert
    RiskScore.objects.create(
        youth=youth,
        as_of=dt.date(2026, 11, 1),
        score=0.123456,
        band="high",
        rank=7,
        model_version="risk-v9",
        reasons=[
            {"key": "police_offence_contacts_365d", "direction": "up", "value": 2, "shap": 0.5,
             "source": "police", "text_zh": "近一年觸法接觸 2 次", "text_en": "offence contacts in the last year: 2"},
            {"key": "child_protection_reports_365d", "direction": "up", "value": 1, "shap": 0.3,
             "source": "welfare", "text_zh": "近一年兒保通報 1 件", "text_en": "child-protection reports: 1"},
        ],
    )  # fmt: skip
    client.login(username="officer", password=PASSWORD)
    html = client.get(reverse("youth-detail", args=[youth.public_id])).content.decode()
    assert 'data-score="0.123456"' in html and "0.123" in html
    assert "近一年觸法接觸 2 次" in html
    assert "近一年兒保通報 1 件" not in html
    # The hidden reason's strength is not told either: only the visible factor's bar and number appear.
    assert "0.500" in html and "0.300" not in html


def test_the_youth_page_shows_the_score_history_as_a_chart_and_a_table(world, client):
    import datetime as dt

    from casework.models import RiskScore

    youth = world.y.alert
    for month, value, band in [(9, 0.05, "medium"), (10, 0.21, "high"), (11, 0.34, "very_high")]:
        RiskScore.objects.create(
            youth=youth,
            as_of=dt.date(2026, month, 1),
            score=value,
            band=band,
            rank=month,
            model_version="risk-v9",
        )
    client.login(username="officer", password=PASSWORD)
    html = client.get(reverse("youth-detail", args=[youth.public_id])).content.decode()
    assert html.count('class="band-dot') == 3
    table = html[html.index('class="score-history-table"') :]
    assert table.index("2026-09-01") < table.index("2026-10-01") < table.index("2026-11-01")
    assert "0.340" in table and "0.050" in table
    # The newest run is the score shown at the top.
    assert 'data-score="0.34"' in html
