"""The record keeps every version: who changed what and when, the earlier assessment and plan readable on the
case page for those who may read the case (and logged), and nothing left of a version once sealing or
retention erases the record it belonged to."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from casework.access.audit import Actor
from casework.access.sealing import erase_derived_from_events
from casework.cases import services as case_services
from casework.history import acting
from casework.models import (
    Alert,
    AuditAction,
    AuditEntry,
    Case,
    CaseStatus,
    ConcernType,
    EventKind,
    Intervention,
    InterventionKind,
    Referral,
    Role,
    TriageDecisionKind,
    TriageReason,
    Youth,
)
from casework.triage import services as triage_services
from casework.triage.alerting import escalate_overdue_alerts
from casework.youth import services as youth_services
from tests.fixtures import PASSWORD, actor, make_user


def login(client, username: str) -> None:
    assert client.login(username=username, password=PASSWORD)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


def edit(user, case: Case, **fields) -> Case:
    version = Case.objects.get(pk=case.pk).version
    return case_services.update_case(actor=actor(user), case=case, expected_version=version, **fields)


# ---------------------------------------------------------------------------------------------------------
# What is kept
# ---------------------------------------------------------------------------------------------------------


def test_every_version_of_the_assessment_and_plan_is_kept_with_who_and_when(world):
    case = world.case
    edit(world.u.guidance, case, assessment="First look: truancy")
    edit(world.u.guidance2, case, assessment="Truancy; family under strain", plan="Weekly visits")
    versions = list(case.history.order_by("history_date", "history_id"))
    assert [v.assessment for v in versions][-2:] == ["First look: truancy", "Truancy; family under strain"]
    assert [v.history_user for v in versions][-2:] == [world.u.guidance, world.u.guidance2]
    assert versions[-1].plan == "Weekly visits" and versions[-2].plan == ""
    assert all(v.history_date <= timezone.now() for v in versions)


def test_alert_referral_and_intervention_changes_name_the_person_who_made_them(world):
    triage_services.acknowledge_alert(actor=actor(world.u.officer), alert=world.alert)
    case_services.respond_to_referral(actor=actor(world.u.social), referral=world.referral, accept=True)
    case_services.log_intervention(
        actor=actor(world.u.guidance), case=world.case, kind=InterventionKind.HOME_VISIT,
        occurred_on=world.today, notes="Met the mother",
    )  # fmt: skip
    assert world.alert.history.latest().history_user == world.u.officer
    assert world.alert.history.latest().status == "acknowledged"
    assert world.referral.history.latest().history_user == world.u.social
    assert Intervention.history.filter(case_id=world.case.pk).get().history_user == world.u.guidance


def test_a_system_job_records_no_person_but_its_reason(world):
    Alert.objects.filter(pk=world.alert.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    assert escalate_overdue_alerts() == 1
    latest = world.alert.history.latest()
    assert latest.status == "escalated"
    assert latest.history_user is None and latest.history_change_reason == "system:escalation"
    alert, _ = triage_services.raise_alert(
        youth=world.y.none, reason="offence_court", routed_to=world.b.police,
        due_at=timezone.now() + dt.timedelta(days=7),
    )  # fmt: skip
    created = alert.history.get()
    assert created.history_user is None and created.history_change_reason == "system:alerts"


def test_a_person_acting_is_never_recorded_as_a_system_job(world):
    with acting(Actor.system("outer job")), acting(actor(world.u.guidance)):
        Case.objects.filter(pk=world.case.pk).get().save()
    latest = world.case.history.latest()
    assert latest.history_user == world.u.guidance and latest.history_change_reason in ("", None)


# ---------------------------------------------------------------------------------------------------------
# Who reads it
# ---------------------------------------------------------------------------------------------------------


def test_the_case_page_shows_the_history_newest_first_with_the_earlier_text(client, world):
    edit(world.u.guidance, world.case, assessment="EARLIER-ASSESSMENT")
    edit(world.u.guidance2, world.case, assessment="LATER-ASSESSMENT", plan="THE-PLAN")
    login(client, "guidance")
    html = client.get(reverse("case-detail", args=[world.case.pk])).content.decode()
    section = html[html.index('id="versions-h"') :]
    assert "EARLIER-ASSESSMENT" in section and "LATER-ASSESSMENT" in section and "THE-PLAN" in section
    rows = section.split('<tr class="version')[1:]
    # Newest first: the second edit, by guidance2, with the earlier text before it and the later after it.
    assert "guidance2" in rows[0] and "Assessment" in rows[0]
    assert rows[0].index("Before") < rows[0].index("EARLIER-ASSESSMENT") < rows[0].index("LATER-ASSESSMENT")
    assert "EARLIER-ASSESSMENT" in rows[1] and "LATER-ASSESSMENT" not in rows[1] and "guidance" in rows[1]
    view = AuditEntry.objects.filter(action=AuditAction.VIEW, object_type="case", username="guidance").latest(
        "at"
    )
    assert view.detail["history_versions"] == world.case.history.count()


def test_the_history_is_in_traditional_chinese_by_default(client, world):
    edit(world.u.guidance, world.case, assessment="第一版")
    assert client.login(username="guidance", password=PASSWORD)
    html = client.get(reverse("case-detail", args=[world.case.pk])).content.decode()
    assert 'id="versions-h"' in html and "第一版" in html


def test_those_who_may_not_read_the_case_get_404_and_none_of_its_versions(client, world):
    edit(world.u.guidance, world.case, assessment="EARLIER-ASSESSMENT")
    edit(world.u.guidance, world.case, assessment="LATER-ASSESSMENT")
    make_user("welfare_guidance", world.b.welfare, Role.GUIDANCE_WORKER)
    for username in ("officer", "counsellor", "welfare_guidance", "auditor", "steward"):
        client.logout()
        login(client, username)
        response = client.get(reverse("case-detail", args=[world.case.pk]))
        assert response.status_code in (403, 404), username
        assert "EARLIER-ASSESSMENT" not in response.content.decode(), username
    # Someone who may see the youth (a referral of another youth's record) but not this case reads no version.
    case_services.refer(
        actor=actor(world.u.guidance), youth=world.y.case, from_bureau=world.b.committee,
        to_bureau=world.b.welfare, reason="Family support", consent="obtained",
    )  # fmt: skip
    client.logout()
    login(client, "social")
    youth_page = client.get(reverse("youth-detail", args=[world.y.case.public_id]))
    assert youth_page.status_code == 200
    assert "EARLIER-ASSESSMENT" not in youth_page.content.decode()
    assert client.get(reverse("case-detail", args=[world.case.pk])).status_code == 404


# ---------------------------------------------------------------------------------------------------------
# Erased records leave no version behind
# ---------------------------------------------------------------------------------------------------------


def _historical_rows(case_ids, alert_ids, referral_ids, intervention_ids) -> dict[str, int]:
    return {
        "cases": Case.history.filter(id__in=case_ids).count(),
        "alerts": Alert.history.filter(id__in=alert_ids).count(),
        "referrals": Referral.history.filter(id__in=referral_ids).count(),
        "interventions": Intervention.history.filter(id__in=intervention_ids).count(),
    }


def test_sealing_erases_every_version_of_what_it_erases_and_keeps_the_others(world):
    police = actor(world.u.officer)
    youth = world.y.alert
    event = youth.events.get(kind=EventKind.POLICE_DEVIANT)
    decision = triage_services.decide_alert(
        actor=police, alert=world.alert, decision=TriageDecisionKind.OPEN_CASE,
        reason_code=TriageReason.LEGAL_DUTY, note="SEALED-MATTER", concern=ConcernType.DEVIANT,
    )  # fmt: skip
    case = decision.case
    edit(world.u.officer, case, assessment="SEALED-ASSESSMENT v1")
    edit(world.u.officer, case, assessment="SEALED-ASSESSMENT v2")
    intervention = case_services.log_intervention(
        actor=police,
        case=case,
        kind=InterventionKind.HOME_VISIT,
        occurred_on=world.today,
        notes="SEALED-VISIT",
    )
    referral = case_services.refer(
        actor=police, youth=youth, from_bureau=world.b.police, to_bureau=world.b.welfare, case=case,
        reason="SEALED-REFERRAL", consent="obtained",
    )  # fmt: skip
    ids = ([case.pk], [world.alert.pk], [referral.pk], [intervention.pk])
    assert all(_historical_rows(*ids).values())
    assert Youth.history.filter(id=youth.pk).exists()
    edit(world.u.guidance, world.case, assessment="UNRELATED")
    kept_before = world.case.history.count()

    erase_derived_from_events(event_ids=[event.pk], actor=Actor.system("sealing"))

    assert not Case.objects.filter(pk=case.pk).exists()
    assert _historical_rows(*ids) == {"cases": 0, "alerts": 0, "referrals": 0, "interventions": 0}
    assert not Youth.history.filter(id=youth.pk).exists()
    # The other youth's case keeps every version.
    assert world.case.history.count() == kept_before


def test_a_retention_purge_leaves_no_version_of_what_it_removed(world):
    from integrations.retention import services as retention_services

    youth = youth_services.create_youth(name="成年", birth_date=dt.date(2005, 1, 10))
    closed_on = dt.date(2021, 3, 1)
    with acting(actor(world.u.guidance)):
        case = Case.objects.create(
            youth=youth, lead_bureau=world.b.committee, opened_by=world.u.guidance,
            concern=ConcernType.DEVIANT, status=CaseStatus.CLOSED,
            closed_at=timezone.make_aware(dt.datetime(2021, 3, 1, 12)), assessment="OLD-ASSESSMENT",
        )  # fmt: skip
        case.assessment = "NEWER-ASSESSMENT"
        case.save()
        intervention = Intervention.objects.create(
            case=case, kind=InterventionKind.HOME_VISIT, occurred_on=closed_on - dt.timedelta(30),
            worker=world.u.guidance, notes="visited",
        )  # fmt: skip
    assert case.history.count() == 2 and intervention.history.count() == 1
    edit(world.u.guidance, world.case, assessment="STAYS")
    kept_before = world.case.history.count()

    summary = retention_services.purge_expired(as_of=dt.date(2029, 1, 15))

    assert youth.public_id in summary.youth_public_ids
    assert not Case.history.filter(id=case.pk).exists()
    assert not Intervention.history.filter(id=intervention.pk).exists()
    assert not Youth.history.filter(id=youth.pk).exists()
    assert world.case.history.count() == kept_before
