"""Each person chooses the calendar pages show dates in: Western (2026-11-25) or ROC (115/11/25), which the
bureaus' own records use. Their choice, not anyone else's; exports keep ISO dates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from casework.clock import DATE_STYLE, TAIPEI, day_text, deadline_text, moment_text
from casework.models import Alert, AuditAction, AuditEntry, DateStyle, User
from tests.fixtures import ONE_PER_ROLE, PASSWORD, world  # noqa: F401


def test_the_roc_calendar_counts_years_from_1912_and_keeps_taipei_time():
    token = DATE_STYLE.set("roc")
    try:
        assert day_text(dt.date(2026, 11, 25)) == "115/11/25"
        assert moment_text(dt.datetime(2026, 11, 25, 6, 30, tzinfo=dt.UTC)) == "115/11/25 14:30"
        assert deadline_text(dt.datetime(2026, 11, 26, tzinfo=TAIPEI)).startswith("115/11/25")
        assert day_text(dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.UTC)) == "115/11/26"  # already the 26th
    finally:
        DATE_STYLE.reset(token)
    assert day_text(dt.date(2026, 11, 25)) == "2026-11-25"
    assert day_text(None) == "" and moment_text(None) == "" and deadline_text(None) == ""
    assert day_text("2026-11-25") == "" and moment_text("not a date") == ""  # as Django's date filter


@pytest.mark.django_db
@pytest.mark.parametrize("username", ONE_PER_ROLE)
def test_everyone_signed_in_sets_their_own_calendar(client, world, username):  # noqa: F811
    assert client.login(username=username, password=PASSWORD)
    page = client.get(reverse("accounts:preferences"))
    assert page.status_code == 200 and 'name="date_style"' in page.content.decode()
    response = client.post(reverse("accounts:preferences"), {"date_style": DateStyle.ROC})
    assert response.status_code == 302
    assert User.objects.get(username=username).date_style == DateStyle.ROC
    assert AuditEntry.objects.filter(
        action=AuditAction.UPDATE, username=username, object_type="user"
    ).exists()


@pytest.mark.django_db
def test_signed_out_visitors_are_sent_to_sign_in(client, world):  # noqa: F811
    response = client.get(reverse("accounts:preferences"))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.django_db
def test_a_choice_not_offered_changes_nothing(client, world):  # noqa: F811
    assert client.login(username="officer", password=PASSWORD)
    response = client.post(reverse("accounts:preferences"), {"date_style": "julian"})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert User.objects.get(username="officer").date_style == DateStyle.WESTERN


@pytest.mark.django_db
def test_pages_follow_the_readers_choice_and_nobody_elses(client, world):  # noqa: F811
    alert = Alert.objects.filter(routed_to=world.b.police).first()
    due = dt.datetime(2026, 11, 26, tzinfo=TAIPEI)
    Alert.objects.filter(pk=alert.pk).update(due_at=due)
    User.objects.filter(username="officer").update(date_style=DateStyle.ROC)
    assert client.login(username="officer", password=PASSWORD)
    page = client.get(reverse("alert-list")).content.decode()
    assert "115/11/25" in page and "2026-11-25" not in page
    client.logout()
    assert client.login(username="police_supervisor", password=PASSWORD)
    page = client.get(reverse("alert-list")).content.decode()
    assert "2026-11-25" in page and "115/11/25" not in page
