"""The workflow API: the same rules as the pages, for other systems and for schema-driven tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from casework.models import (
    AlertStatus,
    Case,
    CaseStatus,
    Notification,
    NotificationKind,
    ReferralStatus,
    RiskScore,
    TriageDecision,
)
from casework.triage import alerting


@pytest.fixture
def api(world):
    def as_user(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return as_user


def test_an_officer_decides_an_alert_into_a_case(world, api):
    RiskScore.objects.create(
        youth=world.y.alert, as_of=world.today, score=0.3, band="high", rank=4, model_version="risk-v2"
    )
    response = api(world.u.officer).post(
        f"/api/alerts/{world.alert.pk}/decide/",
        {
            "decision": "open_case",
            "reason_code": "legal_duty",
            "note": "court referral",
            "concern": "offence",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["band"] == "high" and response.json()["model_version"] == "risk-v2"
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.RESOLVED
    assert Case.objects.filter(youth=world.y.alert, lead_bureau=world.b.police).exists()


def test_another_bureau_cannot_decide_the_alert(world, api):
    response = api(world.u.social).post(
        f"/api/alerts/{world.alert.pk}/decide/",
        {"decision": "monitor", "reason_code": "recent_change"},
        format="json",
    )
    assert response.status_code == 404
    assert not TriageDecision.objects.exists()


def test_an_override_without_a_note_is_a_400_and_changes_nothing(world, api):
    RiskScore.objects.create(
        youth=world.y.alert, as_of=world.today, score=0.7, band="very_high", rank=1, model_version="risk-v2"
    )
    response = api(world.u.officer).post(
        f"/api/alerts/{world.alert.pk}/decide/",
        {"decision": "no_action", "reason_code": "no_concern"},
        format="json",
    )
    assert response.status_code == 400
    world.alert.refresh_from_db()
    assert world.alert.status == AlertStatus.OPEN


def test_a_client_cannot_choose_the_band_it_is_measured_against(world, api):
    RiskScore.objects.create(
        youth=world.y.case, as_of=world.today, score=0.9, band="very_high", rank=1, model_version="risk-v2"
    )
    response = api(world.u.guidance).post(
        "/api/triage-decisions/",
        {
            "youth": world.y.case.public_id,
            "bureau": "committee",
            "decision": "no_action",
            "reason_code": "already_supported",
            "note": "in a programme",
            "band": "low",
            "score": 0.01,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    row = TriageDecision.objects.get()
    assert (row.band, row.score, row.is_override) == ("very_high", 0.9, True)


def test_a_case_moves_through_the_api_and_a_stale_version_is_a_409(world, api):
    client = api(world.u.guidance)
    url = f"/api/cases/{world.case.pk}/move/"
    ok = client.post(url, {"move": "start_assessment", "expected_version": 1}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == CaseStatus.ASSESSMENT
    stale = client.post(url, {"move": "start_planning", "expected_version": 1}, format="json")
    assert stale.status_code == 409


def test_a_worker_cannot_approve_a_closure_through_the_api(world, api):
    client = api(world.u.guidance)
    client.post(
        f"/api/cases/{world.case.pk}/move/",
        {"move": "request_closure", "expected_version": 1, "closure_reason": "declined", "note": "declined"},
        format="json",
    )
    refused = client.post(
        f"/api/cases/{world.case.pk}/move/", {"move": "approve_closure", "expected_version": 2}, format="json"
    )
    assert refused.status_code == 403
    approved = api(world.u.supervisor).post(
        f"/api/cases/{world.case.pk}/move/", {"move": "approve_closure", "expected_version": 2}, format="json"
    )
    assert approved.status_code == 200 and approved.json()["closure_approved_by"] == "supervisor"


def test_referral_complete_and_revoke(world, api):
    social = api(world.u.social)
    assert social.post(f"/api/referrals/{world.referral.pk}/accept/", {}, format="json").status_code == 200
    assert (
        social.post(f"/api/referrals/{world.referral.pk}/revoke/", {"note": "x"}, format="json").status_code
        == 403
    )
    done = social.post(f"/api/referrals/{world.referral.pk}/complete/", {"note": "done"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == ReferralStatus.COMPLETED


def test_the_inbox_lists_only_ones_own_messages_and_marks_them_read(world, api):
    world.alert.due_at = timezone.now() - dt.timedelta(hours=1)
    world.alert.save()
    alerting.escalate_overdue_alerts()
    note = Notification.objects.get(kind=NotificationKind.ALERT_ESCALATED)
    assert [n["id"] for n in api(world.u.police_supervisor).get("/api/notifications/").json()["results"]] == [
        note.pk
    ]
    assert api(world.u.supervisor).get("/api/notifications/").json()["results"] == []
    assert api(world.u.supervisor).post(f"/api/notifications/{note.pk}/read/").status_code == 404
    assert api(world.u.police_supervisor).post(f"/api/notifications/{note.pk}/read/").status_code == 200
    note.refresh_from_db()
    assert note.read_at is not None


def test_alert_rules_are_readable_by_caseworkers_and_not_by_stewards(world, api):
    rules = api(world.u.officer).get("/api/alert-rules/?is_current=true").json()
    assert {r["key"] for r in rules} >= {"exposure", "child_protection", "top_band"}
    assert api(world.u.steward).get("/api/alert-rules/").json() == []
