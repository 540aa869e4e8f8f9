"""Rules tightened after an independent access review; each test shows the corrected behaviour."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from casework.cases import services as case_services
from casework.models import (
    Alert,
    AlertStatus,
    AuditAction,
    AuditEntry,
    Case,
    ConcernType,
    InterventionKind,
    Membership,
    Role,
)
from casework.triage import services as triage_services
from tests.fixtures import PASSWORD, actor


def login(client, username):
    assert client.login(username=username, password=PASSWORD)


class TestReferralsFollowNeedToKnow:
    def test_uninvolved_colleague_does_not_see_the_bureaus_referral(self, client, world):
        login(client, "guidance2")
        assert client.get(reverse("api:referral-list")).json()["count"] == 0
        client.logout()
        login(client, "guidance")  # the sender sees it
        assert client.get(reverse("api:referral-list")).json()["count"] == 1

    def test_receiver_loses_a_declined_referral_sender_keeps_its_outcome(self, client, world):
        case_services.respond_to_referral(
            actor=actor(world.u.social), referral=world.referral, accept=False, note="full"
        )
        login(client, "social")
        assert client.get(reverse("api:referral-detail", args=[world.referral.pk])).status_code == 404
        client.logout()
        login(client, "guidance")
        answer = client.get(reverse("api:referral-detail", args=[world.referral.pk])).json()
        assert answer["status"] == "declined"

    def test_nobody_refers_to_themselves_or_answers_their_own_referral(self, world):
        with pytest.raises(ValidationError):
            case_services.refer(
                actor=actor(world.u.officer),
                youth=world.y.alert,
                from_bureau=world.b.police,
                to_bureau=world.b.police,
                to_user=world.u.officer,
                reason="keep access",
                consent="obtained",
            )
        referral = case_services.refer(
            actor=actor(world.u.supervisor),
            youth=world.y.case,
            from_bureau=world.b.committee,
            to_bureau=world.b.committee,
            to_user=world.u.guidance2,
            reason="second worker",
            consent="obtained",
        )
        with pytest.raises(PermissionDenied):
            case_services.respond_to_referral(actor=actor(world.u.supervisor), referral=referral, accept=True)
        case_services.respond_to_referral(actor=actor(world.u.guidance2), referral=referral, accept=True)


def test_intervention_case_filter_does_not_tell_hidden_from_missing(client, world):
    login(client, "officer")
    hidden = client.get(reverse("api:intervention-list"), {"case": world.case.pk})
    missing = client.get(reverse("api:intervention-list"), {"case": 999999})
    assert hidden.status_code == missing.status_code == 200
    assert hidden.json() == missing.json()
    page = client.get(reverse("api:intervention-list"), HTTP_ACCEPT="text/html").content.decode()
    assert f'value="{world.case.pk}"' not in page


def test_counsellor_does_not_learn_of_other_bureaus_cases(client, world):
    Case.objects.create(
        youth=world.y.student,
        lead_bureau=world.b.police,
        opened_by=world.u.officer,
        concern=ConcernType.OFFENCE,
    )
    login(client, "counsellor")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("youth-detail", args=[world.y.student.public_id])).content.decode()
    assert "A case led by" not in page


class TestProbingIsLogged:
    def test_hidden_records_answer_404_and_the_attempt_is_logged(self, client, world):
        login(client, "officer")
        for url in (
            reverse("api:youth-detail", args=[world.y.none.public_id]),
            reverse("youth-detail", args=[world.y.none.public_id]),
            reverse("case-detail", args=[world.case.pk]),
        ):
            assert client.get(url).status_code == 404
        denied = AuditEntry.objects.filter(action=AuditAction.DENIED, username="officer")
        assert {d.detail["status"] for d in denied} == {404}
        assert denied.count() == 3

    def test_naming_a_hidden_youth_in_a_write_is_logged(self, client, world):
        login(client, "officer")
        body = {"youth": world.y.none.public_id, "lead_bureau": "police", "concern": "offence"}
        assert client.post(reverse("api:case-list"), body, content_type="application/json").status_code == 400
        line = AuditEntry.objects.get(action=AuditAction.DENIED, username="officer")
        assert line.detail["status"] == 400 and "youth" in line.detail["fields"]


class TestReadsAreLogged:
    def test_intervention_views_carry_the_youth(self, client, world):
        intervention = case_services.log_intervention(
            actor=actor(world.u.guidance),
            case=world.case,
            kind=InterventionKind.HOME_VISIT,
            occurred_on=world.today,
        )
        login(client, "guidance")
        client.get(reverse("api:intervention-detail", args=[intervention.pk]))
        line = AuditEntry.objects.filter(action=AuditAction.VIEW, object_type="intervention").latest("id")
        assert line.youth_public_id == world.y.case.public_id

    def test_dashboard_audit_retrieve_and_admin_lists_are_logged(self, client, world):
        login(client, "officer")
        client.get(reverse("home"))
        line = AuditEntry.objects.get(object_type="dashboard")
        assert line.detail["query"]["youth"] == [world.y.alert.public_id]
        client.logout()
        login(client, "auditor")
        entry = AuditEntry.objects.first()
        client.get(reverse("api:auditentry-detail", args=[entry.pk]))
        assert AuditEntry.objects.filter(action=AuditAction.VIEW, object_type="auditentry").exists()
        client.logout()
        login(client, "admin")
        client.get(reverse("admin:casework_youth_changelist"))
        assert AuditEntry.objects.filter(
            action=AuditAction.LIST, object_type="youth", username="admin"
        ).exists()


def test_client_cannot_set_the_band_a_decision_is_measured_against(client, world):
    login(client, "officer")
    response = client.post(
        reverse("api:triagedecision-list"),
        {
            "youth": world.y.alert.public_id,
            "bureau": "police",
            "decision": "no_action",
            "reason_code": "no_concern",
            "band": "low",
            "score": 0.01,
            "model_version": "fake",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    assert (response.json()["band"], response.json()["score"], response.json()["model_version"]) == (
        "",
        None,
        "",
    )


def test_cases_are_assigned_only_to_case_workers_of_the_lead_bureau(client, world):
    login(client, "guidance")
    url = reverse("api:case-detail", args=[world.case.pk])
    for username in ("auditor", "steward", "officer"):
        response = client.patch(
            url, {"expected_version": 1, "assignee": username}, content_type="application/json"
        )
        assert response.status_code == 400, username
    ok = client.patch(url, {"expected_version": 1, "assignee": "guidance2"}, content_type="application/json")
    assert ok.status_code == 200


def test_admin_alert_page_does_not_show_an_event_from_another_source(client, world):
    Membership.objects.create(user=world.u.admin, bureau=world.b.welfare, role=Role.SOCIAL_WORKER)
    alert, _ = triage_services.raise_alert(
        youth=world.y.alert,
        reason="family_check",
        routed_to=world.b.welfare,
        due_at=world.now + dt.timedelta(days=1),
        source_event=world.alert.source_event,
    )
    login(client, "admin")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("admin:casework_alert_change", args=[alert.pk])).content.decode()
    assert page.count("family_check") >= 1
    assert "Police contact" not in page
    Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.RESOLVED)
