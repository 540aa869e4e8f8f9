"""Service rules that every write obeys, whichever page or API calls them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from casework.cases import services as case_services
from casework.models import Alert, AlertStatus, ReferralStatus, TriageDecisionKind
from casework.triage import services as triage_services
from casework.youth import services as youth_services
from tests.fixtures import PASSWORD, actor


def test_an_event_cannot_be_known_before_it_happened(world):
    with pytest.raises(ValidationError):
        youth_services.record_event(
            youth=world.y.case,
            kind="absence",
            event_date=world.today,
            knowledge_date=world.today - dt.timedelta(days=1),
            owning_bureau=world.b.education,
        )


def test_event_source_follows_its_kind(world):
    event = youth_services.record_event(
        youth=world.y.case,
        kind="police_exposure",
        event_date=world.today,
        knowledge_date=world.today,
        owning_bureau=world.b.police,
    )
    assert event.source == "police"
    assert event.sensitivity == "sensitive"


def test_one_active_alert_per_youth_reason_and_bureau(world):
    due = world.now + dt.timedelta(days=1)
    again, created = triage_services.raise_alert(
        youth=world.y.alert, reason=world.alert.reason, routed_to=world.b.police, due_at=due
    )
    assert not created and again.pk == world.alert.pk
    world.alert.status = AlertStatus.RESOLVED
    world.alert.save()
    fresh, created = triage_services.raise_alert(
        youth=world.y.alert, reason=world.alert.reason, routed_to=world.b.police, due_at=due
    )
    assert created and fresh.pk != world.alert.pk
    assert Alert.objects.filter(youth=world.y.alert).count() == 2


def test_second_editor_gets_a_conflict_not_a_silent_overwrite(world):
    case_services.update_case(
        actor=actor(world.u.guidance), case=world.case, expected_version=1, summary="first"
    )
    with pytest.raises(ValidationError) as exc:
        case_services.update_case(
            actor=actor(world.u.guidance2), case=world.case, expected_version=1, summary="second"
        )
    assert exc.value.code == "conflict"
    world.case.refresh_from_db()
    assert world.case.summary == "first"


def test_conflict_is_409_over_the_api(client, world):
    client.login(username="guidance", password=PASSWORD)
    url = reverse("api:case-detail", args=[world.case.pk])
    first = client.patch(url, {"expected_version": 1, "summary": "a"}, content_type="application/json")
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = client.patch(url, {"expected_version": 1, "summary": "b"}, content_type="application/json")
    assert stale.status_code == 409


def test_assignee_must_work_for_the_lead_bureau(world):
    with pytest.raises(ValidationError):
        case_services.update_case(
            actor=actor(world.u.guidance), case=world.case, expected_version=1, assignee=world.u.officer
        )
    updated = case_services.update_case(
        actor=actor(world.u.guidance), case=world.case, expected_version=1, assignee=world.u.guidance2
    )
    assert updated.assignee == world.u.guidance2


def test_closed_case_cannot_be_edited_or_logged_on(world):
    with pytest.raises(PermissionDenied):
        case_services.update_case(
            actor=actor(world.u.supervisor), case=world.closed_case, expected_version=1, summary="x"
        )
    with pytest.raises(PermissionDenied):
        case_services.log_intervention(
            actor=actor(world.u.supervisor),
            case=world.closed_case,
            kind="home_visit",
            occurred_on=world.today,
        )


def test_intervention_dates_are_checked(world):
    with pytest.raises(ValidationError):
        case_services.log_intervention(
            actor=actor(world.u.guidance),
            case=world.case,
            kind="home_visit",
            occurred_on=world.today + dt.timedelta(days=1),
        )
    with pytest.raises(ValidationError):
        case_services.log_intervention(
            actor=actor(world.u.guidance),
            case=world.case,
            kind="home_visit",
            occurred_on=world.today,
            next_due=world.today - dt.timedelta(days=1),
        )


def test_accepted_referral_lets_the_receiver_log_work_on_the_case(world):
    referral = case_services.refer(
        actor=actor(world.u.guidance),
        youth=world.y.case,
        case=world.case,
        from_bureau=world.b.committee,
        to_bureau=world.b.welfare,
        reason="family",
        consent="obtained",
    )
    with pytest.raises(PermissionDenied):
        case_services.log_intervention(
            actor=actor(world.u.social), case=world.case, kind="home_visit", occurred_on=world.today
        )
    case_services.respond_to_referral(actor=actor(world.u.social), referral=referral, accept=True)
    case_services.log_intervention(
        actor=actor(world.u.social), case=world.case, kind="home_visit", occurred_on=world.today
    )
    assert world.case.interventions.filter(worker=world.u.social).count() == 1


def test_declining_needs_a_reason_and_answers_only_once(world):
    with pytest.raises(ValidationError):
        case_services.respond_to_referral(actor=actor(world.u.social), referral=world.referral, accept=False)
    case_services.respond_to_referral(
        actor=actor(world.u.social), referral=world.referral, accept=False, note="duplicate"
    )
    assert world.referral.status == ReferralStatus.DECLINED
    with pytest.raises(ValidationError):
        case_services.respond_to_referral(actor=actor(world.u.social), referral=world.referral, accept=True)


def test_consent_override_needs_a_documented_reason(world):
    kwargs = {
        "actor": actor(world.u.guidance),
        "youth": world.y.case,
        "from_bureau": world.b.committee,
        "to_bureau": world.b.welfare,
        "reason": "danger",
        "consent": "override",
    }
    with pytest.raises(ValidationError):
        case_services.refer(**kwargs)
    assert case_services.refer(**kwargs, consent_note="Art. 53 report").consent == "override"


@pytest.mark.parametrize(
    ("band", "decision", "override"),
    [
        ("high", TriageDecisionKind.NO_ACTION, True),
        ("high", TriageDecisionKind.OPEN_CASE, False),
        ("low", TriageDecisionKind.OPEN_CASE, True),
        ("low", TriageDecisionKind.NO_ACTION, False),
        ("", TriageDecisionKind.NO_ACTION, False),
    ],
)
def test_decisions_against_the_band_are_overrides_and_need_a_note(world, band, decision, override):
    from casework.models import RiskScore

    if band:
        RiskScore.objects.create(
            youth=world.y.alert, as_of=world.today, score=0.4, band=band, rank=3, model_version="m1"
        )
    kwargs = {
        "actor": actor(world.u.officer),
        "youth": world.y.alert,
        "bureau": world.b.police,
        "decision": decision,
        "reason_code": "needs_support",
    }
    if override:
        with pytest.raises(ValidationError):
            triage_services.record_triage_decision(**kwargs)
        row = triage_services.record_triage_decision(**kwargs, note="known to family services already")
    else:
        row = triage_services.record_triage_decision(**kwargs)
    assert row.is_override is override
    expected = (0.4, band, "m1") if band else (None, "", "")
    assert (row.score, row.band, row.model_version) == expected


def test_bulk_events_keep_their_details_as_objects_on_databases_without_copy(world):
    """SQLite (the demo's default) takes the ORM path: details must arrive as JSON objects, not strings."""
    from unittest import mock

    from casework.models import Event

    with mock.patch("casework.bulk.connection") as conn:
        conn.vendor = "sqlite"
        youth_services.record_events_bulk(
            [
                {
                    "youth_id": world.y.none.pk,
                    "kind": "child_protection",
                    "event_date": dt.date(2024, 1, 1),
                    "knowledge_date": dt.date(2024, 1, 2),
                    "owning_bureau_id": world.b.welfare.pk,
                    "details": {"substantiated": True},
                    "source_feed": "welfare.reports",
                    "source_key": "TEST-DETAILS",
                }
            ]
        )
    event = Event.objects.get(source_key="TEST-DETAILS")
    assert event.details == {"substantiated": True}
    assert Event.objects.filter(details__substantiated=True, source_key="TEST-DETAILS").exists()
