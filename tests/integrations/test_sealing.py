"""Sealing (Art. 83-1) as an invariant: whatever order deliveries come in, a sealed record is refused as
content, and nothing derived from it outlives it. Deliveries go through ``import_feed`` as a bureau's file
would; the city is ``tests.integrations.sealing_world``."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from casework.models import (
    Alert,
    AlertRule,
    AlertStatus,
    AlertTrigger,
    Case,
    Event,
    Intervention,
    Notification,
    NotificationKind,
    Referral,
    ReferralStatus,
    RiskScore,
    TriageDecision,
    Youth,
)
from integrations.feeds.importing import import_rows, resubmit_quarantined
from integrations.linkage import features, service
from integrations.models import (
    LinkageModel,
    QuarantinedRow,
    QuarantineStatus,
    RecordLink,
    ReviewPair,
    SealedRecord,
    SealingAction,
    SourceRecord,
)
from tests.fixtures import PASSWORD, actor
from tests.integrations.sealing_world import (
    CONTACT_COLUMNS,
    MARKER,
    NOTICE_P,
    NOTICE_Q,
    NOTICE_Q_MALFORMED,
    P1,
    P2,
    P_NID,
    Q1,
    Q1_MALFORMED,
    Q_NID,
    ROSTER,
    SEALED_KEYS,
    SECRETS,
    WELFARE,
    P,
    Q,
    activate_linkage,
    contact,
    deliver,
)
from tests.integrations.test_linkage import city, city_frame, trained_settings  # noqa: F401

# Tables that hold the fact of sealing itself: the notices, what they sealed, and the sealed keys.
FACT_OF_SEALING = {"integrations_sealingaction", "integrations_sealedrecord"}


def traces(*secrets: str) -> list[str]:
    """Every (table, column) of the whole database whose text holds one of the secrets, except the fact of
    sealing (the notices and what they sealed)."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND data_type IN ('text', 'character varying', 'json', 'jsonb')"
        )
        columns = cursor.fetchall()
        for table, column in columns:
            if table in FACT_OF_SEALING:
                continue
            where = ""
            if table in ("integrations_sourcerecord", "integrations_quarantinedrow"):
                where = " AND feed <> 'court.sealing'"
            for secret in secrets:
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE %s{where}',  # noqa: S608
                    [f"%{secret}%"],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column} holds {secret}")
    return found


def assert_no_trace_of_sealed_records():
    assert traces(*SECRETS) == []
    for key in SEALED_KEYS:
        assert not RecordLink.objects.filter(record_key=key).exists()
        assert not Event.all_objects.filter(source_key=key).exists()
        assert not ReviewPair.objects.filter(left_key=key).exists()
        assert not ReviewPair.objects.filter(right_key=key).exists()
        # No version is kept: the fact of sealing is the sealed key and the notice.
        assert not SourceRecord.objects.filter(feed="police.contacts", record_key=key).exists()
        assert key not in set(features.frame()["record_key"]) if not features.frame().empty else True


@pytest.fixture
def city_linkage(world, trained_settings):  # noqa: F811
    activate_linkage(trained_settings)
    return world


def _youth_of(key: str) -> Youth:
    return RecordLink.objects.select_related("youth").get(record_key=key).youth


# ---------------------------------------------------------------------------------------------------------
# 1. Order of arrival
# ---------------------------------------------------------------------------------------------------------


def test_a_notice_before_its_record_refuses_the_record_when_it_arrives(city_linkage, tmp_path):
    deliver(tmp_path, "court.sealing", [NOTICE_Q])
    assert SealedRecord.objects.filter(feed="police.contacts", record_key="SC-Q1").exists()
    printed = deliver(tmp_path, "police.contacts", [Q1, P2])
    # The sealed row is counted, not stored.
    assert (
        "created 1" in printed
        and "unchanged 1" in printed
        and "1 of the unchanged rows name records" in printed
    )
    # No link, no timeline event, no alert for anyone; the other contact arrived as usual.
    assert not RecordLink.objects.filter(record_key="SC-Q1").exists()
    assert not Event.all_objects.filter(source_key="SC-Q1").exists()
    assert Event.objects.filter(source_key="SC-P2").exists()
    assert not Alert.objects.filter(youth__national_id=Q_NID).exists()
    assert not Youth.objects.filter(national_id=Q_NID).exists()
    assert_no_trace_of_sealed_records()
    # Sent again, and again with changed content: still nothing.
    deliver(tmp_path, "police.contacts", [{**Q1, "code": "weapon"}])
    assert_no_trace_of_sealed_records()


def test_a_sealed_row_with_a_contract_error_is_refused_not_quarantined(city_linkage, tmp_path):
    deliver(tmp_path, "court.sealing", [NOTICE_Q])
    printed = deliver(tmp_path, "police.contacts", [Q1_MALFORMED])
    assert "quarantined 0" in printed
    assert not QuarantinedRow.objects.filter(record_key="SC-Q1", status=QuarantineStatus.OPEN).exists()
    assert_no_trace_of_sealed_records()


def test_a_quarantined_row_is_redacted_when_its_record_is_sealed_and_cannot_be_resubmitted(
    city_linkage, tmp_path
):
    deliver(tmp_path, "police.contacts", [Q1_MALFORMED])
    row = QuarantinedRow.objects.get(record_key="SC-Q1")
    assert MARKER in json.dumps(row.raw, ensure_ascii=False)  # the refused side: before sealing it is kept
    deliver(tmp_path, "court.sealing", [NOTICE_Q])
    row.refresh_from_db()
    assert row.status == QuarantineStatus.SEALED and row.raw == {"sealed": True}
    assert_no_trace_of_sealed_records()
    with pytest.raises(ValueError):
        resubmit_quarantined(row=row, fixed=Q1, user=None)


def test_a_fixed_row_resubmitted_from_the_quarantine_under_a_sealed_key_is_not_stored(city_linkage, tmp_path):
    # A row quarantined for a bad date; the steward's fix happens to carry a key sealed in the meantime.
    deliver(tmp_path, "police.contacts", [{**Q1_MALFORMED, "contact_no": "SC-OTHER"}])
    row = QuarantinedRow.objects.get(record_key="SC-OTHER")
    deliver(tmp_path, "court.sealing", [NOTICE_Q])
    summary = resubmit_quarantined(row=row, fixed=Q1, user=city_linkage.u.steward)
    assert summary.sealed == 1 and summary.created == 0
    row.refresh_from_db()
    assert row.status == QuarantineStatus.SEALED and row.raw == {"sealed": True}
    assert_no_trace_of_sealed_records()


def test_an_api_upload_of_a_sealed_record_is_refused_as_content(city_linkage, tmp_path):
    deliver(tmp_path, "court.sealing", [NOTICE_Q])
    summary = import_rows(feed="police.contacts", rows=[Q1])
    assert summary.sealed == 1 and summary.created == 0 and summary.unchanged == 1
    assert_no_trace_of_sealed_records()


def test_a_notice_naming_its_contacts_takes_effect_as_it_arrives_without_linkage(world, tmp_path):
    # A freshly migrated city that has never linked: the named contact is sealed at import all the same.
    deliver(tmp_path, "police.contacts", [Q1, P2])
    assert MARKER in json.dumps(list(SourceRecord.objects.values_list("raw", flat=True)), ensure_ascii=False)
    deliver(tmp_path, "court.sealing", [NOTICE_Q])
    assert_no_trace_of_sealed_records()
    assert SourceRecord.objects.get(record_key="SC-P2").sealed_at is None


def test_a_malformed_notice_waits_in_the_quarantine_but_seals_the_contacts_it_names(city_linkage, tmp_path):
    deliver(tmp_path, "police.contacts", [Q1])
    assert Event.objects.filter(source_key="SC-Q1").exists()
    printed = deliver(tmp_path, "court.sealing", [NOTICE_Q_MALFORMED])
    assert "quarantined 1" in printed
    assert QuarantinedRow.objects.filter(feed="court.sealing", status=QuarantineStatus.OPEN).exists()
    assert_no_trace_of_sealed_records()


# ---------------------------------------------------------------------------------------------------------
# 4. A notice without contact numbers: this person's contacts up to effective_on, no more, no less
# ---------------------------------------------------------------------------------------------------------


def test_a_person_wide_notice_seals_contacts_up_to_its_date_and_keeps_later_ones(city_linkage, tmp_path):
    deliver(tmp_path, "school.students", [ROSTER])
    deliver(tmp_path, "welfare.reports", [WELFARE])
    deliver(tmp_path, "police.contacts", [P1, P2])
    youth = _youth_of("SC-P2")
    assert _youth_of("SC-P1") == youth
    deliver(tmp_path, "court.sealing", [NOTICE_P])
    assert_no_trace_of_sealed_records()
    # The contact after effective_on stays, on the same youth, with its event.
    assert SourceRecord.objects.get(record_key="SC-P2").sealed_at is None
    assert _youth_of("SC-P2") == youth and Event.objects.filter(source_key="SC-P2").exists()
    action = SealingAction.objects.get(notice_key="SN-P")
    assert action.sealed_keys == ["SC-P1"] and not action.pending
    # The youth keeps their identity: other records name them.
    youth.refresh_from_db()
    assert youth.name == "測試安"


def test_a_person_wide_notice_reaches_a_contact_that_arrives_after_it(city_linkage, tmp_path):
    deliver(tmp_path, "school.students", [ROSTER])
    deliver(tmp_path, "court.sealing", [NOTICE_P])
    # Exact identity (national ID): refused at import, before anything is stored.
    printed = deliver(tmp_path, "police.contacts", [P1, P2])
    assert "1 of the unchanged rows name records sealed" in printed
    # No national ID and a romanised name only: linkage finds the person, and sealing follows at once.
    late = {
        **P1,
        "contact_no": "SC-P3",
        "unit": f"{MARKER}-SC-P3",
        "national_id": "",
        "occurred_on": "2024-07-07",
    }
    deliver(tmp_path, "police.contacts", [late])
    assert not SourceRecord.objects.filter(record_key="SC-P3").exists()
    assert SealedRecord.objects.filter(record_key="SC-P3", notice_key="SN-P").exists()
    assert_no_trace_of_sealed_records()
    assert SourceRecord.objects.get(record_key="SC-P2").sealed_at is None


# ---------------------------------------------------------------------------------------------------------
# 2. Derived things do not outlive the sealed record
# ---------------------------------------------------------------------------------------------------------


def test_everything_derived_from_a_sealed_event_goes_and_no_one_keeps_a_reason_to_see_the_youth(
    city_linkage, tmp_path, client
):
    world = city_linkage
    deliver(tmp_path, "police.contacts", [Q1])
    youth = _youth_of("SC-Q1")
    event = Event.objects.get(source_key="SC-Q1")
    officer, supervisor = world.u.officer, world.u.police_supervisor
    b = world.b
    due = timezone.now() + dt.timedelta(days=3)
    # Alerts from the sealed event in every status, with decisions, a referral and notifications.
    alerts = {}
    for i, status in enumerate(AlertStatus.values):
        alert = Alert.objects.create(
            youth=youth,
            reason=f"sealed_{i}",
            routed_to=b.police,
            due_at=due,
            source_event=event,
            status=status,
        )
        alerts[status] = alert
        Notification.objects.create(
            kind=NotificationKind.ALERT_ESCALATED, user=supervisor, youth=youth, alert=alert
        )
    referral = Referral.objects.create(
        youth=youth,
        from_bureau=b.police,
        from_user=officer,
        to_bureau=b.welfare,
        reason="sealed referral",
        consent="obtained",
    )
    TriageDecision.objects.create(
        youth=youth, alert=alerts[AlertStatus.RESOLVED], bureau=b.police, decided_by=officer,
        decision="refer", reason_code="better_placed", referral=referral, score=0.4, band="high",
    )  # fmt: skip
    Notification.objects.create(kind=NotificationKind.REFERRAL_RECEIVED, bureau=b.welfare, referral=referral)
    RiskScore.objects.create(
        youth=youth, as_of=dt.date(2025, 1, 1), score=0.4, band="high", rank=1, model_version="m1", reasons=[]
    )
    old = RiskScore.objects.create(
        youth=youth, as_of=dt.date(2024, 1, 1), score=0.1, band="low", rank=1, model_version="m1", reasons=[]
    )
    # Before: the police supervisor sees the youth through the resolved alert.
    client.login(username="police_supervisor", password=PASSWORD)
    assert client.get(reverse("youth-detail", args=[youth.public_id])).status_code == 200

    deliver(tmp_path, "court.sealing", [NOTICE_Q])

    assert not Alert.objects.filter(youth=youth).exists()
    assert not TriageDecision.objects.filter(youth=youth).exists()
    assert not Notification.objects.filter(alert__youth=youth).exists()
    assert not Notification.objects.filter(referral=referral).exists()
    assert not Referral.objects.filter(pk=referral.pk).exists()
    # Scores as of a day the sealed record was known are gone; an older one, which could not use it, stays.
    assert list(RiskScore.objects.filter(youth=youth)) == [old]
    # A youth known only through sealed records keeps no identity, and no case worker has a reason to see it.
    youth.refresh_from_db()
    assert youth.name == "" and youth.national_id == "" and youth.birth_date is None
    for username in ("officer", "police_supervisor", "social", "supervisor", "guidance"):
        client.login(username=username, password=PASSWORD)
        assert client.get(reverse("youth-detail", args=[youth.public_id])).status_code == 404, username
    assert_no_trace_of_sealed_records()


def test_sealing_rescoring_is_asked_for_the_youth_whose_records_were_sealed(city_linkage, tmp_path):
    from casework.signals import youth_record_changed

    heard = []

    def listen(sender, youth_ids=(), sealed=False, **kwargs):
        heard.append((sorted(youth_ids), sealed))

    youth_record_changed.connect(listen, dispatch_uid="test-sealing-listen")
    try:
        deliver(tmp_path, "police.contacts", [Q1])
        youth = _youth_of("SC-Q1")
        with pytest.MonkeyPatch.context():
            from django.test import TestCase

            with TestCase.captureOnCommitCallbacks(execute=True):
                deliver(tmp_path, "court.sealing", [NOTICE_Q])
    finally:
        youth_record_changed.disconnect(dispatch_uid="test-sealing-listen")
    assert ([youth.pk], True) in heard


# ---------------------------------------------------------------------------------------------------------
# 5. Linkage evidence
# ---------------------------------------------------------------------------------------------------------


def test_export_links_review_pairs_and_linkage_input_hold_no_sealed_record(city_linkage, tmp_path):
    deliver(tmp_path, "school.students", [ROSTER])
    deliver(tmp_path, "police.contacts", [P1, P2, Q1])
    # A review pair that names a sealed contact (as the engine would write one).
    model = service.active_model()
    ReviewPair.objects.create(
        left_feed="police.contacts", left_key="SC-P1", right_feed="school.students", right_key="J01/S-P",
        match_probability=0.9, match_weight=3.0, comparison={"name": {"left": P1["unit"]}}, model=model,
    )  # fmt: skip
    deliver(tmp_path, "court.sealing", [NOTICE_P, NOTICE_Q])
    call_command("link_records", verbosity=0)
    out = tmp_path / "links.csv"
    call_command("export_links", str(out), verbosity=0)
    exported = out.read_text(encoding="utf-8")
    assert "SC-P2" in exported
    for key in SEALED_KEYS:
        assert key not in exported
    assert_no_trace_of_sealed_records()
    # Retraining the linkage model reads no sealed record either.
    call_command("link_records", "--retrain", verbosity=0)
    assert_no_trace_of_sealed_records()


def test_a_case_opened_on_the_sealed_alert_goes_with_its_work_and_a_case_opened_on_a_score_stays(
    city_linkage, tmp_path
):
    world = city_linkage
    deliver(tmp_path, "police.contacts", [Q1])
    youth = _youth_of("SC-Q1")
    event = Event.objects.get(source_key="SC-Q1")
    b, u = world.b, world.u
    due = timezone.now() + dt.timedelta(days=3)
    alert = Alert.objects.create(
        youth=youth, reason="sealed", routed_to=b.committee, due_at=due, source_event=event
    )
    # The decision on the alert of the sealed event opened a case (its summary copies the decision's note).
    case = Case.objects.create(
        youth=youth, lead_bureau=b.committee, assignee=u.guidance, opened_by=u.guidance, concern="exposure",
        summary=f"{MARKER}-SC-Q1 drugs exposure",
    )  # fmt: skip
    TriageDecision.objects.create(
        youth=youth, alert=alert, bureau=b.committee, decided_by=u.guidance, decision="open_case",
        reason_code="better_placed", note=f"{MARKER}-SC-Q1 drugs exposure", case=case,
    )  # fmt: skip
    Intervention.objects.create(
        case=case, kind="home_visit", occurred_on=dt.date(2025, 1, 2), worker=u.guidance
    )
    accepted = Referral.objects.create(
        youth=youth, case=case, from_bureau=b.committee, from_user=u.guidance, to_bureau=b.welfare,
        reason="follow-up", consent="obtained", status=ReferralStatus.ACCEPTED,
    )  # fmt: skip
    # A case opened on a score alert: the workers' judgement of the whole record.
    score_rule = AlertRule.objects.filter(trigger=AlertTrigger.SCORE).first() or AlertRule.objects.create(
        key="score_rule", version=1, trigger=AlertTrigger.SCORE, bands=["very_high"], route_to=["committee"],
        deadline_days=14, name_zh="分數", name_en="score",
    )  # fmt: skip
    score_alert = Alert.objects.create(
        youth=youth, reason=score_rule.key, rule=score_rule, routed_to=b.police, due_at=due
    )
    kept = Case.objects.create(
        youth=youth, lead_bureau=b.police, opened_by=u.officer, concern="high_concern", summary="outreach"
    )
    TriageDecision.objects.create(
        youth=youth, alert=score_alert, bureau=b.police, decided_by=u.officer, decision="open_case",
        reason_code="better_placed", case=kept,
    )  # fmt: skip

    deliver(tmp_path, "court.sealing", [NOTICE_Q])

    assert not Case.objects.filter(pk=case.pk).exists()
    assert not Intervention.objects.filter(case_id=case.pk).exists()
    assert not Referral.objects.filter(pk=accepted.pk).exists()
    assert Case.objects.filter(pk=kept.pk).exists()
    assert not Alert.objects.filter(pk__in=[alert.pk, score_alert.pk]).exists()
    assert_no_trace_of_sealed_records()


# ---------------------------------------------------------------------------------------------------------
# 6. A person-wide notice and the quarantine: a malformed contact of the person is theirs all the same
# ---------------------------------------------------------------------------------------------------------

# P's contacts sent with contract errors: a mistyped birth date (the national ID still names P), a blank
# contact number, an unreadable occurrence date, and one after effective_on (kept: the notice stops there).
P_BAD_BIRTH = {**P1, "contact_no": "SC-P5", "unit": f"{MARKER}-SC-P5", "birth_date": "2011-99-05"}
P_NO_KEY = {**P1, "contact_no": "", "unit": f"{MARKER}-nokey"}
P_BAD_DATE = {**P1, "contact_no": "SC-P6", "unit": f"{MARKER}-SC-P6", "occurred_on": "2024-13-45"}
P_LATER_BAD = {**P2, "contact_no": "SC-P7", "kind": "not a kind", "occurred_on": "2025-04-01"}
# Someone else, with the same contract error, and P's name with another person's valid national ID.
OTHER_BAD = {**P_BAD_BIRTH, "contact_no": "SC-O1", "unit": "KEEP-SC-O1", "note": "", "name": "測試他"}
OTHER_BAD["national_id"] = "A123456789"
OTHER_SAME_NAME = {
    **P_BAD_DATE,
    "contact_no": "SC-O2",
    "unit": "KEEP-SC-O2",
    "note": "",
    "national_id": "A123456789",
}


def _open(key: str) -> QuarantinedRow:
    return QuarantinedRow.objects.get(feed="police.contacts", record_key=key)


def test_a_person_wide_notice_redacts_the_persons_quarantined_contacts_up_to_its_date(world, tmp_path):
    # No linkage at all: exact identity on the raw row is enough.
    printed = deliver(
        tmp_path,
        "police.contacts",
        [P_BAD_BIRTH, P_NO_KEY, P_BAD_DATE, P_LATER_BAD, OTHER_BAD, OTHER_SAME_NAME],
    )
    assert "quarantined 6" in printed
    assert MARKER in json.dumps(
        list(QuarantinedRow.objects.values_list("raw", flat=True)), ensure_ascii=False
    )
    deliver(tmp_path, "court.sealing", [NOTICE_P])
    sealed = QuarantinedRow.objects.filter(status=QuarantineStatus.SEALED)
    assert sorted(sealed.values_list("record_key", flat=True)) == ["", "SC-P5", "SC-P6"]
    assert all(row.raw == {"sealed": True} for row in sealed)
    # Their keys are sealed: a later delivery, fixed or not, is refused as content.
    assert set(SealedRecord.objects.filter(notice_key="SN-P").values_list("record_key", flat=True)) >= {
        "SC-P5",
        "SC-P6",
    }
    assert {"SC-P5", "SC-P6"} <= set(SealingAction.objects.get(notice_key="SN-P").sealed_keys)
    assert (
        import_rows(feed="police.contacts", rows=[{**P_BAD_BIRTH, "birth_date": P1["birth_date"]}]).sealed
        == 1
    )
    # The refused side: P's contact after effective_on, another person's, and P's name under another valid
    # national ID stay open with their content.
    for key in ("SC-P7", "SC-O1", "SC-O2"):
        assert _open(key).status == QuarantineStatus.OPEN and _open(key).raw["contact_no"] == key
    assert traces(MARKER) == []


def test_an_unreadable_contact_date_is_sealed_as_if_it_came_before_the_notice(world, tmp_path):
    deliver(
        tmp_path,
        "police.contacts",
        [P_BAD_DATE, {**P_BAD_DATE, "contact_no": "SC-P8", "occurred_on": "", "kind": "?"}],
    )
    deliver(tmp_path, "court.sealing", [NOTICE_P])
    assert _open("SC-P6").status == QuarantineStatus.SEALED
    assert _open("SC-P8").status == QuarantineStatus.SEALED
    assert traces(MARKER) == []


def test_a_resubmitted_contact_of_the_person_loses_the_raw_row_it_kept_in_the_quarantine(world, tmp_path):
    deliver(tmp_path, "police.contacts", [P_BAD_BIRTH])
    # The steward's fix also corrects the contact number: the raw row's key is no longer the record's.
    fixed = {**P_BAD_BIRTH, "contact_no": "SC-P5b", "birth_date": P1["birth_date"]}
    resubmit_quarantined(row=_open("SC-P5"), fixed=fixed, user=None)
    assert _open("SC-P5").status == QuarantineStatus.RESUBMITTED and MARKER in json.dumps(_open("SC-P5").raw)
    deliver(tmp_path, "court.sealing", [NOTICE_P])
    assert _open("SC-P5").status == QuarantineStatus.SEALED and _open("SC-P5").raw == {"sealed": True}
    assert not SourceRecord.objects.filter(record_key__in=["SC-P5", "SC-P5b"]).exists()
    assert traces(MARKER) == []


def test_a_malformed_contact_after_a_person_wide_notice_never_reaches_the_quarantine(world, tmp_path):
    deliver(tmp_path, "court.sealing", [NOTICE_P])
    printed = deliver(
        tmp_path,
        "police.contacts",
        [P_BAD_BIRTH, P_NO_KEY, P_BAD_DATE, P_LATER_BAD, OTHER_BAD, OTHER_SAME_NAME],
    )
    assert "quarantined 3" in printed and "3 of the unchanged rows name records sealed" in printed
    assert sorted(QuarantinedRow.objects.values_list("record_key", flat=True)) == ["SC-O1", "SC-O2", "SC-P7"]
    assert traces(MARKER) == []


def test_linkage_tells_the_quarantine_which_contacts_are_the_persons(city_linkage, tmp_path):
    # The school writes P's name with another character (測試按); linkage joins the roster to the notice by
    # the national ID. A quarantined contact under the school's spelling, with no national ID and a contract
    # error, is not the notice's exact identity, but it is exactly the identity of a record linked to P.
    deliver(tmp_path, "school.students", [{**ROSTER, "name": "測試按"}])
    stray = {**P1, "contact_no": "SC-P5", "unit": f"{MARKER}-SC-P5", "name": "測試按", "national_id": ""}
    stray["kind"] = "not a kind"
    deliver(tmp_path, "police.contacts", [stray])
    assert _open("SC-P5").status == QuarantineStatus.OPEN
    deliver(tmp_path, "court.sealing", [NOTICE_P])
    assert RecordLink.objects.get(record_key="SN-P").youth == _youth_of("J01/S-P")
    assert _open("SC-P5").status == QuarantineStatus.SEALED
    # And in the other order: a contact of this kind arriving now is refused before the quarantine.
    printed = deliver(tmp_path, "police.contacts", [{**stray, "contact_no": "SC-P9"}, OTHER_BAD])
    assert "quarantined 1" in printed
    assert not QuarantinedRow.objects.filter(record_key="SC-P9").exists()
    assert _open("SC-O1").status == QuarantineStatus.OPEN
    assert traces(MARKER) == []


# ---------------------------------------------------------------------------------------------------------
# 7. Keys: a sealed key seals every case and width variant of itself, and nothing else
# ---------------------------------------------------------------------------------------------------------


def test_a_notice_seals_every_case_variant_of_the_keys_it_names_and_no_other_key(world, tmp_path):
    upper = {**Q1, "contact_no": "SC-Q1"}
    near = {**Q1, "contact_no": "SC-Q10", "unit": "KEEP-SC-Q10", "note": ""}
    deliver(tmp_path, "police.contacts", [upper, near])
    deliver(tmp_path, "court.sealing", [{**NOTICE_Q, "contact_nos": " ｓｃ－ｑ１ "}])
    assert not SourceRecord.objects.filter(record_key="SC-Q1").exists()
    assert "SC-Q1" in SealingAction.objects.get(notice_key="SN-Q").sealed_keys
    # Every later delivery in another case is refused as content, by file and by API.
    printed = deliver(tmp_path, "police.contacts", [{**Q1, "contact_no": "Sc-q1"}])
    assert "1 of the unchanged rows name records sealed" in printed
    assert import_rows(feed="police.contacts", rows=[{**Q1, "contact_no": "sc-Q1"}]).sealed == 1
    # The refused side: a key that is not a variant of the sealed one stays.
    assert SourceRecord.objects.filter(record_key="SC-Q10", is_current=True).exists()
    assert import_rows(feed="police.contacts", rows=[{**near, "contact_no": "SC-Q2"}]).sealed == 0
    assert traces(f"{MARKER}-SC-Q1") == []


def test_enforce_sealing_finds_a_case_variant_stored_before_the_notice_was_applied(world, tmp_path):
    from integrations.linkage.sealing import enforce_sealing

    deliver(tmp_path, "police.contacts", [Q1])
    deliver(tmp_path, "court.sealing", [{**NOTICE_Q, "contact_nos": "sc-q1"}])
    assert not SourceRecord.objects.filter(record_key="SC-Q1").exists()
    # A variant slipped in by another path (as before case folding): the next enforcement erases it.
    SealingAction.objects.filter(notice_key="SN-Q").update(sealed_keys=["sc-q1"])
    import_rows(feed="police.contacts", rows=[{**Q1, "contact_no": "SC-Q-1"}])
    SourceRecord.objects.filter(record_key="SC-Q-1").update(record_key="SC-Q1")
    enforce_sealing()
    assert not SourceRecord.objects.filter(record_key="SC-Q1").exists()
    assert traces(f"{MARKER}-SC-Q1") == []


def test_a_notice_seals_stored_variants_whose_case_only_unicode_folds(world, tmp_path):
    """Keys with letters outside ASCII (İ, Ä, Δ): the database's lower() does not fold them as Python does
    (SQLite folds ASCII only; PostgreSQL's İ becomes a plain i), so stored variants are found by Python."""
    stored = {
        "İSC-Q1": {**Q1, "contact_no": "İSC-Q1"},
        "ÄSC-Q1": {**Q1, "contact_no": "ÄSC-Q1"},
        "ΔSC-Q1": {**Q1, "contact_no": "ΔSC-Q1"},
    }
    other = {**Q1, "contact_no": "ΔSC-Q9", "unit": "KEEP-ΔSC-Q9", "note": ""}
    deliver(tmp_path, "police.contacts", [*stored.values(), other])
    assert SourceRecord.objects.filter(record_key__in=stored).count() == 3
    named = ";".join(key.casefold() for key in stored)  # i̇sc-q1;äsc-q1;δsc-q1
    deliver(tmp_path, "court.sealing", [{**NOTICE_Q, "contact_nos": named}])
    assert not SourceRecord.objects.filter(record_key__in=stored).exists()
    assert not RecordLink.objects.filter(record_key__in=stored).exists()
    # The refused side: a non-ASCII key that is not a variant of a named one stays.
    assert SourceRecord.objects.filter(record_key="ΔSC-Q9", is_current=True).exists()


# ---------------------------------------------------------------------------------------------------------
# 8. File names: a bureau's name for a file keeps no national ID, and no name at all once it held a sealed
#    record
# ---------------------------------------------------------------------------------------------------------


def test_a_file_name_keeps_no_national_id_and_loses_its_name_when_its_record_is_sealed(world, tmp_path):
    from integrations.models import ImportBatch

    deliver(tmp_path, "police.contacts", [Q1], name=f"{Q_NID}_測試秘_drugs.csv")
    deliver(tmp_path, "police.contacts", [P2], name="police-2025-03.csv")
    named = ImportBatch.objects.get(records__record_key="SC-Q1")
    assert Q_NID not in named.file_name and named.file_name.endswith("_測試秘_drugs.csv")
    kept = ImportBatch.objects.get(records__record_key="SC-P2")
    deliver(tmp_path, "court.sealing", [NOTICE_Q])
    named.refresh_from_db()
    kept.refresh_from_db()
    assert named.file_name == "police.contacts.csv"
    # The refused side: a batch with no sealed record keeps the name it came with.
    assert kept.file_name == "police-2025-03.csv"
    # A file holding a sealed record after the notice is named neutrally as it arrives.
    deliver(tmp_path, "police.contacts", [Q1, {**P2, "contact_no": "SC-P3"}], name="測試秘-again.csv")
    assert not ImportBatch.objects.filter(file_name__contains="測試秘").exists()


def test_a_quarantined_rows_file_loses_its_name_when_a_person_wide_notice_seals_the_row(world, tmp_path):
    from integrations.models import ImportBatch

    deliver(tmp_path, "police.contacts", [P_BAD_BIRTH], name="測試安-bad.csv")
    deliver(tmp_path, "court.sealing", [NOTICE_P])
    assert list(ImportBatch.objects.filter(feed="police.contacts").values_list("file_name", flat=True)) == [
        "police.contacts.csv"
    ]


def test_a_queued_upload_loses_its_name_to_a_notice_and_a_failed_ones_bytes_are_erased(world, tmp_path):
    """R2: a notice applied while an upload waits in the queue (or after its import failed) reaches the
    bureau's file name of the unfinished batch, and the stored bytes of a failed one (docs/sealing.md,
    "Unfinished uploads")."""
    from integrations.feeds import uploads
    from integrations.linkage.sealing import enforce_sealing
    from integrations.models import BatchStatus, FeedUpload, ImportBatch
    from tests.integrations.sealing_world import write_csv

    data = write_csv(tmp_path / "q.csv", [Q1]).read_bytes()
    queued = uploads.queue_upload(feed="police.contacts", data=data, file_name="測試秘_drugs.csv")
    failed = uploads.queue_upload(feed="police.contacts", data=data + b"\n", file_name="測試秘_again.csv")
    # A failed batch whose bytes were left behind (by code before this rule): the sweep erases them.
    ImportBatch.objects.filter(pk=failed.pk).update(status=BatchStatus.FAILED)
    deliver(tmp_path, "court.sealing", [NOTICE_Q])
    queued.refresh_from_db()
    failed.refresh_from_db()
    assert queued.file_name == failed.file_name == "police.contacts.csv"
    assert not FeedUpload.objects.filter(batch=failed).exists()
    assert FeedUpload.objects.filter(batch=queued).exists()  # still to be imported, its rows sealed then
    uploads.run_upload(queued.pk)
    queued.refresh_from_db()
    assert queued.status == BatchStatus.COMPLETED and queued.sealed == 1
    assert not FeedUpload.objects.exists()
    assert not ImportBatch.objects.filter(file_name__contains="測試秘").exists()
    # The routine sweep also erases a failed upload's bytes left after the notice.
    leftover = uploads.queue_upload(feed="police.contacts", data=b"x", file_name="other.csv")
    ImportBatch.objects.filter(pk=leftover.pk).update(status=BatchStatus.FAILED)
    enforce_sealing()
    assert not FeedUpload.objects.exists()
    assert ImportBatch.objects.get(pk=leftover.pk).file_name == "police.contacts.csv"


def test_a_police_contact_with_no_kind_is_linked_without_an_event_and_the_persons_next_contact_arrives(
    city_linkage, tmp_path
):
    """R4: ``kind`` is not required by the contract (blank means unknown), so a contact without it is stored
    and linked; it makes no timeline event (its kind, and so any alert rule, is unknown), and it no longer
    stops linkage for the person's later contacts."""
    no_kind = {**P2, "contact_no": "SC-NK1", "kind": ""}
    deliver(tmp_path, "police.contacts", [no_kind])
    stored = SourceRecord.objects.get(record_key="SC-NK1")
    assert stored.values.get("kind") in (None, "")
    youth = _youth_of("SC-NK1")
    assert not Event.all_objects.filter(source_key="SC-NK1").exists()
    deliver(tmp_path, "police.contacts", [{**P2, "contact_no": "SC-NK2"}])
    assert _youth_of("SC-NK2") == youth
    assert Event.objects.filter(source_key="SC-NK2", youth=youth).exists()


def _shifted(key: str, person: dict, marker: str) -> dict:
    """A row with its first field lost: every value one column to the left (review 4, F2)."""
    columns = CONTACT_COLUMNS
    values = [key, "2024-05-01", "2024-05-01", "offence", "theft", marker, "", person["national_id"]]
    values += [person["name"], person["birth_date"], person["sex"], person["district"]]
    return dict(zip(columns, values[1:] + [""], strict=True)) | {"contact_no": person["national_id"]}


def test_a_notice_seals_quarantined_rows_that_carry_the_persons_identity_in_the_wrong_columns(
    world, tmp_path
):
    other = {**P, "name": "別人甲", "national_id": Q_NID, "birth_date": "2010-01-01"}
    deliver(tmp_path, "police.contacts", [_shifted("SC-P9", P, MARKER), _shifted("SC-O9", other, "KEEP-O9")])
    assert QuarantinedRow.objects.filter(feed="police.contacts", status=QuarantineStatus.OPEN).count() == 2
    deliver(tmp_path, "court.sealing", [NOTICE_P])
    sealed = QuarantinedRow.objects.get(status=QuarantineStatus.SEALED)
    assert sealed.raw == {"sealed": True} and P_NID not in json.dumps(sealed.record_key)
    # The refused side: another person's shifted row stays, with its content.
    kept = QuarantinedRow.objects.get(status=QuarantineStatus.OPEN)
    assert "KEEP-O9" in json.dumps(kept.raw, ensure_ascii=False)
    assert traces(MARKER) == []


def test_a_shifted_row_of_the_person_arriving_after_the_notice_never_reaches_the_quarantine(world, tmp_path):
    deliver(tmp_path, "court.sealing", [NOTICE_P])
    printed = deliver(tmp_path, "police.contacts", [_shifted("SC-P9", P, MARKER)])
    assert "quarantined 0" in printed
    assert traces(MARKER) == []


def test_a_row_naming_the_person_in_another_column_without_the_birth_date_is_not_sealed(world, tmp_path):
    """Name alone is not identity: a row that only mentions the name elsewhere stays in the quarantine."""
    row = contact("SC-X1", {**Q, "national_id": ""}, "2024-05-01", sealed=False, note=P["name"])
    row["birth_date"] = "2010-13-40"
    deliver(tmp_path, "police.contacts", [row])
    deliver(tmp_path, "court.sealing", [NOTICE_P])
    assert QuarantinedRow.objects.get().status == QuarantineStatus.OPEN


def test_a_file_that_held_a_sealed_record_is_forgotten_and_a_resend_is_counted_as_sealed(world, tmp_path):
    """Review 4, F9: the batch keeps no SHA-256 of a file with a sealed record in it, and re-sending the same
    bytes is imported again (its sealed rows refused and counted), not answered "duplicate"."""
    from integrations.feeds.importing import import_file_bytes
    from integrations.models import ImportBatch
    from tests.integrations.sealing_world import write_csv

    path = write_csv(tmp_path / "p.csv", [P1, P2])
    data = path.read_bytes()
    first = import_file_bytes(feed="police.contacts", data=data, file_name="p.csv")
    assert ImportBatch.objects.get(pk=first.batch_id).checksum  # nothing sealed yet: kept for duplicates
    deliver(tmp_path, "court.sealing", [NOTICE_P])
    assert ImportBatch.objects.get(pk=first.batch_id).checksum == ""
    again = import_file_bytes(feed="police.contacts", data=data, file_name="p.csv")
    assert again.status == "completed" and again.sealed == 1 and again.batch_id != first.batch_id
    assert ImportBatch.objects.get(pk=again.batch_id).checksum == ""
    # The refused side: a file with nothing sealed is still recognised as a duplicate.
    clean = write_csv(tmp_path / "q.csv", [{**P2, "contact_no": "SC-K1"}]).read_bytes()
    import_file_bytes(feed="police.contacts", data=clean, file_name="q.csv")
    assert import_file_bytes(feed="police.contacts", data=clean, file_name="q.csv").status == "duplicate"


def test_a_police_file_that_fails_after_a_notice_keeps_neither_its_name_nor_its_checksum(world, tmp_path):
    """Review 5, F3: its rows were never read, so whether it names the sealed person cannot be told."""
    from integrations.feeds import contract
    from integrations.feeds.importing import import_file_bytes
    from integrations.models import BatchStatus, ImportBatch

    deliver(tmp_path, "court.sealing", [NOTICE_P])
    with pytest.raises(contract.ContractError):
        import_file_bytes(feed="police.contacts", data=b"\xff\xfe\x00bad", file_name="E1_測試安_late.csv")
    failed = ImportBatch.objects.get(status=BatchStatus.FAILED)
    assert (failed.file_name, failed.checksum) == ("police.contacts.csv", "")
    # The refused side: a failed school file keeps its label; police files before any notice are not at issue.
    with pytest.raises(contract.ContractError):
        import_file_bytes(feed="school.students", data=b"\xff\xfe\x00bad", file_name="roster-J01.csv")
    school = ImportBatch.objects.get(status=BatchStatus.FAILED, feed="school.students")
    assert school.file_name == "roster-J01.csv" and school.checksum


def _two_youth_and_a_notice(tmp_path):
    """P on the roster (with the ID), and a contact of P under another name and no ID, linked apart; then a
    person-wide notice for P, which reaches only what is linked to P."""
    deliver(tmp_path, "school.students", [ROSTER])
    stray = {**P1, "contact_no": "SC-P9", "unit": f"{MARKER}-SC-P9", "name": "別名甲", "national_id": ""}
    deliver(tmp_path, "police.contacts", [stray])
    p_youth, stray_youth = _youth_of("J01/S-P"), _youth_of("SC-P9")
    assert p_youth != stray_youth
    deliver(tmp_path, "court.sealing", [NOTICE_P])
    assert SourceRecord.objects.filter(record_key="SC-P9", sealed_at__isnull=True).exists()
    return p_youth, stray_youth


def test_a_steward_accepting_a_pair_seals_at_once_what_now_belongs_to_the_notices_person(
    city_linkage, tmp_path
):
    """Review 6, F1: records that move to the notice's youth by a steward's decision were sealed only at the
    next import's sweep."""
    from integrations.linkage import review
    from integrations.models import ReviewPair

    p_youth, stray_youth = _two_youth_and_a_notice(tmp_path)
    model = LinkageModel.objects.get(is_active=True)
    pair = ReviewPair.objects.create(
        left_feed="school.students", left_key="J01/S-P", right_feed="police.contacts", right_key="SC-P9",
        match_probability=0.7, match_weight=1.0, comparison={}, model=model,
    )  # fmt: skip
    review.decide(pair=pair, accept=True, actor=actor(city_linkage.u.steward), note="same child")
    assert not SourceRecord.objects.filter(record_key="SC-P9").exists()
    assert traces(MARKER) == []


def test_every_steward_identity_change_runs_the_sealing_check(city_linkage, tmp_path):
    """Splitting, reversing a split and reversing a merge move records between youth just as accepting a pair
    does: each runs the sealing check in its own transaction (the run's own merges are checked by the run)."""
    from unittest import mock

    from integrations.linkage import identity

    p_youth, stray_youth = _two_youth_and_a_notice(tmp_path)
    steward = actor(city_linkage.u.steward)
    with mock.patch.object(identity, "_seal_what_moved") as check:
        merge = identity.merge_youth(
            kept=p_youth, absorbed=stray_youth, reason="t", origin="manual", actor=steward
        )
        identity.reverse_merge(merge=merge, actor=steward)
        split = identity.split_youth(
            youth=p_youth,
            records=[("school.students", "J01/S-P")],
            reason="t",
            origin="manual",
            actor=steward,
        )
        identity.reverse_split(split=split, actor=steward)
    assert check.call_count == 3


def test_splitting_the_notice_off_the_persons_record_does_not_take_the_person_out_of_its_reach(
    city_linkage, tmp_path
):
    """Review 7b, F3: the notice's reach was the youth the notice itself is linked to; a steward who split the
    notice off P's record left P's later contacts unsealed. P is also whoever holds P's valid national ID."""
    from integrations.linkage import identity
    from integrations.linkage.sealing import enforce_sealing

    deliver(tmp_path, "school.students", [ROSTER])
    deliver(tmp_path, "court.sealing", [NOTICE_P])
    p_youth = _youth_of("J01/S-P")
    assert _youth_of("SN-P") == p_youth
    steward = actor(city_linkage.u.steward)
    identity.split_youth(
        youth=p_youth, records=[("court.sealing", "SN-P")], reason="t", origin="manual", actor=steward
    )
    assert _youth_of("SN-P") != p_youth
    before = {**P1, "contact_no": "SC-P9", "unit": f"{MARKER}-SC-P9", "name": "別名甲", "national_id": ""}
    after = {**P2, "contact_no": "SC-P8", "name": "別名甲", "national_id": ""}  # after effective_on: stays
    deliver(tmp_path, "police.contacts", [before, after])
    for key in ("SC-P9", "SC-P8"):
        stray = _youth_of(key)
        if stray != p_youth:
            identity.merge_youth(kept=p_youth, absorbed=stray, reason="t", origin="manual", actor=steward)
    enforce_sealing()
    assert not SourceRecord.objects.filter(record_key="SC-P9").exists()
    assert SourceRecord.objects.filter(record_key="SC-P8", sealed_at__isnull=True).exists()
    assert traces(MARKER) == []


# ---------------------------------------------------------------------------------------------------------
# A person-wide notice that breaks the contract only in a date (insider review 13, F1)
# ---------------------------------------------------------------------------------------------------------


def test_a_person_wide_notice_with_an_unreadable_birth_date_seals_by_its_national_id_at_once(world, tmp_path):
    """A court order is not a dead letter because its birth date was mistyped: its valid national ID names the
    person. It seals at once and stays in the quarantine, without the person, for the court to resend it."""
    deliver(tmp_path, "police.contacts", [P1, P2])
    printed = deliver(tmp_path, "court.sealing", [{**NOTICE_P, "birth_date": "2011-13-45"}])
    assert "quarantined 1" in printed
    assert SealedRecord.objects.filter(record_key="SC-P1").exists()
    assert not SourceRecord.objects.filter(record_key="SC-P1").exists()
    assert SourceRecord.objects.get(record_key="SC-P2").sealed_at is None  # after effective_on: kept
    waiting = QuarantinedRow.objects.get(feed="court.sealing")
    assert waiting.status == QuarantineStatus.OPEN and P_NID not in json.dumps(waiting.raw)
    assert any("protects the child" in reason for reason in waiting.reasons)
    # A later delivery of the person's sealed contact is refused as content.
    assert import_rows(feed="police.contacts", rows=[P1]).sealed == 1
    assert traces(MARKER + "-SC-P1") == []


def test_a_person_wide_notice_with_an_unreadable_day_seals_up_to_the_day_it_arrived(world, tmp_path):
    deliver(tmp_path, "police.contacts", [P1, P2])
    deliver(tmp_path, "court.sealing", [{**NOTICE_P, "effective_on": "2026-02-30"}])
    # Both contacts happened before the notice arrived: on the reading that protects the child, both go.
    for key in ("SC-P1", "SC-P2"):
        assert SealedRecord.objects.filter(record_key=key).exists()
        assert not SourceRecord.objects.filter(record_key=key).exists()
    action = SealingAction.objects.get(notice_key="SN-P")
    assert sorted(action.sealed_keys) == ["SC-P1", "SC-P2"]


def test_a_malformed_person_wide_notice_without_a_valid_national_id_seals_nothing(world, tmp_path):
    """The refused side: a name alone, with no birth date that can be read, could be another child's."""
    deliver(tmp_path, "police.contacts", [P1])
    deliver(tmp_path, "court.sealing", [{**NOTICE_P, "birth_date": "2011-13-45", "national_id": ""}])
    assert SourceRecord.objects.get(record_key="SC-P1").sealed_at is None
    assert not SealedRecord.objects.exists()
    assert not SourceRecord.objects.filter(feed="court.sealing").exists()
    assert QuarantinedRow.objects.get(feed="court.sealing").status == QuarantineStatus.OPEN


# ---------------------------------------------------------------------------------------------------------
# Insider review 14: notices that name the wrong child, or the right one without a name or with a day to come
# ---------------------------------------------------------------------------------------------------------


def _twin_contact(key: str) -> dict:
    """A contact of another child: P's name and birth date, another valid national ID."""
    from integrations.feeds.contract import make_national_id
    from tests.integrations.sealing_world import contact

    other = {**P, "national_id": make_national_id("B", 1, "7654321")}
    return contact(key, other, "2024-05-01", sealed=False)


def test_a_notice_whose_national_id_fails_its_checksum_never_seals_another_child_by_name(world, tmp_path):
    """F1 (high): the ID the court wrote, checksum or not, says whom it meant; a child under another valid ID
    who shares the name and birth date is someone else."""
    twin = _twin_contact("SC-T1")
    deliver(tmp_path, "police.contacts", [twin])
    typo = P_NID[:-1] + str((int(P_NID[-1]) + 1) % 10)
    deliver(tmp_path, "court.sealing", [{**NOTICE_P, "national_id": typo}])
    assert SourceRecord.objects.get(record_key="SC-T1").sealed_at is None
    assert not SealedRecord.objects.filter(record_key="SC-T1").exists()
    assert import_rows(feed="police.contacts", rows=[{**twin, "contact_no": "SC-T2"}]).created == 1
    # The allowed side: a contact of the person that carries no ID at all is still theirs by name and birth.
    deliver(tmp_path, "police.contacts", [{**P1, "national_id": ""}])
    assert SealedRecord.objects.filter(record_key="SC-P1").exists()


def test_a_notice_without_a_name_but_with_a_valid_national_id_seals_at_once(world, tmp_path):
    """F4: the valid ID names the child; a blank name adds nothing to it."""
    deliver(tmp_path, "police.contacts", [P1, P2])
    deliver(tmp_path, "court.sealing", [{**NOTICE_P, "name": ""}])
    assert SealedRecord.objects.filter(record_key="SC-P1").exists()
    assert SourceRecord.objects.get(record_key="SC-P2").sealed_at is None


def test_a_notice_effective_after_the_day_it_arrived_seals_only_up_to_that_day(world, tmp_path):
    """F3: a mistyped year (2030) must not silently discard the child's later police records."""
    from django.utils import timezone

    deliver(tmp_path, "police.contacts", [P1])
    deliver(tmp_path, "court.sealing", [{**NOTICE_P, "effective_on": "2030-01-01"}])
    assert SealedRecord.objects.filter(record_key="SC-P1").exists()
    notice = SourceRecord.objects.get(feed="court.sealing", is_current=True)
    assert notice.values["effective_on"] == timezone.localdate().isoformat()
    assert QuarantinedRow.objects.get(feed="court.sealing").status == QuarantineStatus.OPEN
    later = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    after = {**P2, "contact_no": "SC-P9", "occurred_on": later, "recorded_on": later}
    assert import_rows(feed="police.contacts", rows=[after]).created == 1


def test_a_notice_the_court_sends_again_closes_its_row_waiting_in_the_quarantine(world, tmp_path):
    """F6: the corrected resend is read; the earlier row asking for it is done."""
    deliver(tmp_path, "court.sealing", [{**NOTICE_P, "birth_date": "", "national_id": ""}])
    waiting = QuarantinedRow.objects.get(feed="court.sealing")
    assert waiting.status == QuarantineStatus.OPEN
    deliver(tmp_path, "court.sealing", [NOTICE_P])
    waiting.refresh_from_db()
    assert waiting.status == QuarantineStatus.RESUBMITTED


# ---------------------------------------------------------------------------------------------------------
# Insider review 14, F2: a notice without a national ID names one child; two may share its name and birth date
# ---------------------------------------------------------------------------------------------------------

NOTICE_WITHOUT_ID = {**NOTICE_P, "national_id": ""}


def test_a_notice_without_an_id_seals_nobody_by_name_when_two_children_share_it(world, tmp_path):
    """The refused side: the platform holds P (valid ID) and another child with P's name, birth date and
    another valid ID. A notice naming neither ID cannot say which one the court meant: nobody is sealed by name,
    and the notice waits in the quarantine, without the person, for the court to send the ID."""
    twin = _twin_contact("SC-T1")
    deliver(tmp_path, "police.contacts", [P1, twin, {**P1, "contact_no": "SC-N1", "national_id": ""}])
    deliver(tmp_path, "court.sealing", [NOTICE_WITHOUT_ID])
    for key in ("SC-P1", "SC-T1", "SC-N1"):
        assert SourceRecord.objects.get(record_key=key).sealed_at is None, key
        assert not SealedRecord.objects.filter(record_key=key).exists(), key
    waiting = QuarantinedRow.objects.get(feed="court.sealing")
    assert waiting.status == QuarantineStatus.OPEN
    assert "children with different national IDs share its name" in waiting.reasons[0]
    assert P["name"] not in json.dumps(waiting.raw, ensure_ascii=False)
    assert P["birth_date"] not in json.dumps(waiting.raw)
    # A later contact of either child, or one without an ID, is not refused by name either.
    later = [
        {**P1, "contact_no": "SC-P7"},
        {**twin, "contact_no": "SC-T7"},
        {**P1, "contact_no": "SC-N7", "national_id": ""},
    ]
    assert import_rows(feed="police.contacts", rows=later).created == 3
    # The court sends the notice again with P's ID: P's contacts are sealed, the other child's stay, and the
    # waiting row is done.
    deliver(tmp_path, "court.sealing", [NOTICE_P])
    assert SealedRecord.objects.filter(record_key="SC-P1").exists()
    assert SourceRecord.objects.get(record_key="SC-T1").sealed_at is None
    assert SourceRecord.objects.get(record_key="SC-T7").sealed_at is None
    waiting.refresh_from_db()
    assert waiting.status == QuarantineStatus.RESUBMITTED


def test_a_notice_without_an_id_still_seals_by_name_when_only_one_child_has_it(world, tmp_path):
    """The allowed side: one valid ID under the name and birth date is one child; the notice reaches their
    contacts with that ID or none, and no row waits in the quarantine."""
    deliver(tmp_path, "police.contacts", [P1, {**P1, "contact_no": "SC-N1", "national_id": ""}])
    deliver(tmp_path, "court.sealing", [NOTICE_WITHOUT_ID])
    assert SealedRecord.objects.filter(record_key="SC-P1").exists()
    assert SealedRecord.objects.filter(record_key="SC-N1").exists()
    assert not QuarantinedRow.objects.filter(feed="court.sealing").exists()


def test_a_file_that_brings_two_children_under_an_id_less_notice_seals_neither_by_name(world, tmp_path):
    """A notice without an ID came first; one police file then brings P and another child with P's name and
    birth date: the file itself shows two children, so neither contact is refused by name."""
    deliver(tmp_path, "court.sealing", [NOTICE_WITHOUT_ID])
    twin = _twin_contact("SC-T1")
    deliver(tmp_path, "police.contacts", [P1, twin])
    assert SourceRecord.objects.get(record_key="SC-P1").sealed_at is None
    assert SourceRecord.objects.get(record_key="SC-T1").sealed_at is None


def test_an_id_less_notice_that_came_first_still_refuses_its_one_childs_contact(world, tmp_path):
    """The allowed side of the above: one child under the name and birth date is refused by name."""
    deliver(tmp_path, "court.sealing", [NOTICE_WITHOUT_ID])
    deliver(tmp_path, "police.contacts", [P1])
    assert SealedRecord.objects.filter(record_key="SC-P1").exists()
    assert not SourceRecord.objects.filter(record_key="SC-P1", sealed_at__isnull=True).exists()


# ---------------------------------------------------------------------------------------------------------
# Insider review 15, F2: linkage must not carry an ID-less notice to one namesake after another
# ---------------------------------------------------------------------------------------------------------


def _filler(tmp_path, n: int = 80) -> None:
    """Police contacts of other children, so that linkage's term frequencies are a city's, not four records'
    (in a world of four records every name is common and no pair without an ID links)."""
    surnames, given = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周", "宇庭翔婷豪怡傑雅志佩俊惠明玲偉芳家文"
    rows = [
        contact(
            f"SC-F{i:03d}",
            {
                "name": surnames[i % 20] + given[i % 18] + given[(i * 7 + 3) % 18],
                "birth_date": (dt.date(2009, 1, 1) + dt.timedelta(days=13 * i)).isoformat(),
                "sex": "MF"[i % 2],
                "district": "中壢區",
                "national_id": "",
            },
            "2024-02-01",
            sealed=False,
        )
        for i in range(n)
    ]
    deliver(tmp_path, "police.contacts", rows)


def _not_sealed(*keys: str) -> None:
    for key in keys:
        assert SourceRecord.objects.filter(record_key=key, sealed_at__isnull=True).exists(), key
        assert not SealedRecord.objects.filter(record_key=key).exists(), key


def test_linkage_never_carries_an_id_less_notice_to_either_of_two_namesakes(city_linkage, tmp_path):
    """Order 1: both children are known when the notice comes; linkage joins the notice to one of them, then,
    once that one were emptied, to the other. Nobody is sealed, and the notice waits for the court."""
    _filler(tmp_path)
    twin = _twin_contact("SC-T1")
    deliver(tmp_path, "police.contacts", [P1, twin, {**P1, "contact_no": "SC-N1", "national_id": ""}])
    deliver(tmp_path, "court.sealing", [NOTICE_WITHOUT_ID])
    service.link_all()
    service.link_all()
    _not_sealed("SC-P1", "SC-T1", "SC-N1")
    action = SealingAction.objects.get(notice_key="SN-P")
    assert action.contested and not action.sealed_keys
    assert QuarantinedRow.objects.filter(feed="court.sealing", status=QuarantineStatus.OPEN).count() == 1


def test_a_file_that_brings_two_namesakes_after_an_id_less_notice_contests_it_for_good(
    city_linkage, tmp_path
):
    """Order 2: the notice came first; one police file brings both children. Neither is refused, neither is
    sealed by the linkage runs that follow, and the notice waits in the quarantine for the court."""
    _filler(tmp_path)
    deliver(tmp_path, "court.sealing", [NOTICE_WITHOUT_ID])
    twin = _twin_contact("SC-T1")
    deliver(tmp_path, "police.contacts", [P1, twin])
    deliver(tmp_path, "police.contacts", [{**Q1, "contact_no": "SC-X1", "national_id": ""}])  # another run
    service.link_all()
    _not_sealed("SC-P1", "SC-T1")
    assert SealingAction.objects.get(notice_key="SN-P").contested
    waiting = QuarantinedRow.objects.get(feed="court.sealing", status=QuarantineStatus.OPEN)
    assert P["name"] not in json.dumps(waiting.raw, ensure_ascii=False)


def test_an_id_less_notice_that_reached_one_child_never_reaches_a_second_under_another_id(
    city_linkage, tmp_path
):
    """Order 3: the notice came first and refused the first child's contact by name; a contact of a second
    child (same name and birth date, another valid ID) arrives later in its own file: it is not refused, the
    notice is contested from then on, and linkage does not carry it to the second child."""
    _filler(tmp_path)
    deliver(tmp_path, "court.sealing", [NOTICE_WITHOUT_ID])
    deliver(tmp_path, "police.contacts", [P1])
    assert SealedRecord.objects.filter(record_key="SC-P1").exists()  # the documented limit: one child at most
    deliver(tmp_path, "police.contacts", [_twin_contact("SC-T1")])
    service.link_all()
    _not_sealed("SC-T1")
    action = SealingAction.objects.get(notice_key="SN-P")
    assert action.contested and len(action.reached_ids) == 1
    assert P_NID not in json.dumps(action.reached_ids)


def test_an_id_less_notice_with_one_child_still_reaches_through_linkage(city_linkage, tmp_path):
    """The allowed side: one child under the name and birth date; what linkage joins to them is sealed."""
    _filler(tmp_path)
    # SC-N2: no ID and the name typed by sound (試/詩): only linkage can tie it to the child.
    typed = {**P1, "contact_no": "SC-N2", "national_id": "", "name": "測詩安"}
    deliver(tmp_path, "police.contacts", [P1, typed])
    deliver(tmp_path, "court.sealing", [NOTICE_WITHOUT_ID])
    service.link_all()
    assert SealedRecord.objects.filter(record_key="SC-P1").exists()
    assert SealedRecord.objects.filter(record_key="SC-N2").exists()
    action = SealingAction.objects.get(notice_key="SN-P")
    assert not action.contested and len(action.reached_ids) == 1


# ---------------------------------------------------------------------------------------------------------
# Insider review 15, F1: a court notice file keeps neither the court's name for it nor its checksum
# ---------------------------------------------------------------------------------------------------------


def test_a_notice_file_keeps_neither_its_name_nor_its_checksum(world, tmp_path):
    import hashlib

    from integrations.feeds import uploads
    from integrations.models import ImportBatch

    name = f"{P['name']}_{P_NID}_sealing.csv"
    deliver(tmp_path, "court.sealing", [NOTICE_P], name=name)
    sha256 = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
    batch = ImportBatch.objects.get(feed="court.sealing")
    # The checksum is keyed: it tells the same file sent again, but a copy of the court's file cannot confirm it.
    assert batch.file_name == "court.sealing.csv" and batch.checksum and batch.checksum != sha256
    # Queued through the API the same: the name is gone before any worker reads the file.
    queued = uploads.queue_upload(feed="court.sealing", data=b"notice_no\n", file_name=f"{P['name']}.csv")
    assert queued.file_name == "court.sealing.csv"
    assert queued.checksum != hashlib.sha256(b"notice_no\n").hexdigest()
    # The same file sent again changes nothing: it is known as a duplicate by its keyed checksum.
    from integrations.feeds.importing import import_file_bytes

    again = import_file_bytes(
        feed="court.sealing", data=(tmp_path / name).read_bytes(), file_name="again.csv"
    )
    assert again.status == "duplicate"
    assert ImportBatch.objects.filter(feed="court.sealing", status="completed").count() == 1
    # A police file keeps its (masked) name while it holds nothing sealed: the rule is the notices'.
    deliver(tmp_path, "police.contacts", [P2], name="police-december.csv")
    assert ImportBatch.objects.get(feed="police.contacts").file_name == "police-december.csv"


# ---------------------------------------------------------------------------------------------------------
# Insider review 15, F3: a sealed key comes back with an odd hyphen or an invisible character
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["SC\u2010Q1", "\u200bSC-Q1", "SC-Q1\u200d", "SC\u2212Q1", "SC\u00ad-Q1", "ＳＣ－Ｑ１", "sc\u2013q1"],
)
def test_a_sealed_key_written_with_another_dash_or_an_invisible_character_is_refused(
    world, tmp_path, written
):
    deliver(tmp_path, "police.contacts", [Q1])
    deliver(tmp_path, "court.sealing", [NOTICE_Q])
    assert SealedRecord.objects.filter(record_key="SC-Q1").exists()
    summary = import_rows(feed="police.contacts", rows=[{**Q1, "contact_no": written}])
    assert (summary.created, summary.sealed) == (0, 1), written


def test_a_notice_naming_a_key_with_an_odd_hyphen_seals_the_stored_plain_key(world, tmp_path):
    deliver(tmp_path, "police.contacts", [Q1])
    deliver(tmp_path, "court.sealing", [{**NOTICE_Q, "contact_nos": "SC\u2010Q1"}])
    assert not SourceRecord.objects.filter(record_key="SC-Q1").exists()
    # ...and a later delivery of the plain key is refused too.
    assert import_rows(feed="police.contacts", rows=[Q1]).sealed == 1


def test_a_key_that_differs_by_more_than_dashes_and_invisible_characters_is_another_record(world, tmp_path):
    """The refused side: SC-Q1 sealed, SC-Q11 and SCQ1 are other records."""
    deliver(tmp_path, "police.contacts", [Q1])
    deliver(tmp_path, "court.sealing", [NOTICE_Q])
    summary = import_rows(
        feed="police.contacts", rows=[{**Q1, "contact_no": "SC-Q11"}, {**Q1, "contact_no": "SCQ1"}]
    )
    assert (summary.created, summary.sealed) == (2, 0)


def test_a_notice_with_an_odd_hyphen_that_comes_first_refuses_the_plain_key_when_it_arrives(world, tmp_path):
    deliver(tmp_path, "court.sealing", [{**NOTICE_Q, "contact_nos": "SC\u2010Q1"}])
    assert import_rows(feed="police.contacts", rows=[Q1]).sealed == 1
    assert not SourceRecord.objects.filter(record_key="SC-Q1").exists()


# ---------------------------------------------------------------------------------------------------------
# Insider review 15, F5: a steward's split keeps neither a sealed record's key nor the reason about it
# ---------------------------------------------------------------------------------------------------------


def _split(keys: list[str], reason: str):
    from integrations.linkage.identity import split_youth

    youth = _youth_of(keys[0])
    return split_youth(
        youth=youth,
        records=[("police.contacts", k) for k in keys],
        reason=reason,
        origin="manual",
        actor=actor(None),
    )


def test_a_split_that_moved_only_a_sealed_contact_goes_with_it(city_linkage, tmp_path):
    from casework.models import YouthSplit

    deliver(tmp_path, "school.students", [ROSTER])
    deliver(tmp_path, "police.contacts", [P1, P2])
    split = _split(["SC-P1"], f"{MARKER} the name on this contact differs")
    deliver(tmp_path, "court.sealing", [{**NOTICE_P, "contact_nos": "SC-P1"}])
    assert not YouthSplit.objects.filter(pk=split.pk).exists()
    assert traces(MARKER) == []


def test_a_split_that_moved_a_sealed_and_a_kept_contact_keeps_only_the_kept_one(city_linkage, tmp_path):
    """The refused side of the above: the split stays, for the contact that is not sealed, without the key
    of the sealed one and without the steward's words, which may be about it."""

    deliver(tmp_path, "school.students", [ROSTER])
    deliver(tmp_path, "police.contacts", [P1, P2])
    split = _split(["SC-P1", "SC-P2"], f"{MARKER} both contacts are another child's")
    deliver(tmp_path, "court.sealing", [{**NOTICE_P, "contact_nos": "SC-P1"}])
    split.refresh_from_db()
    assert split.records == [["police.contacts", "SC-P2"]]
    assert MARKER not in split.reason and "withheld" in split.reason


# ---------------------------------------------------------------------------------------------------------
# Insider review 16, N5 and N6: a list written with 、 and keys with other invisible characters
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("separator", ["、", ",", "，", " ", "/", "\n"])
def test_a_notice_listing_its_contacts_with_another_separator_seals_them(world, tmp_path, separator):
    deliver(tmp_path, "police.contacts", [P1, {**P2, "contact_no": "SC-P5", "occurred_on": "2024-06-01"}])
    deliver(
        tmp_path, "court.sealing", [{**NOTICE_P, "contact_nos": f"SC-P1{separator}SC-P5", "national_id": ""}]
    )
    assert not SourceRecord.objects.filter(record_key__in=["SC-P1", "SC-P5"]).exists()


def test_a_notice_listing_one_contact_does_not_seal_another_whose_key_it_contains(world, tmp_path):
    """The refused side: SC-P1 named, SC-P11 is another record."""
    deliver(tmp_path, "police.contacts", [P1, {**P1, "contact_no": "SC-P11"}])
    deliver(
        tmp_path, "court.sealing", [{**NOTICE_P, "contact_nos": "SC-P1", "national_id": "", "name": "別人"}]
    )
    assert SourceRecord.objects.filter(record_key="SC-P11").exists()


@pytest.mark.parametrize(
    "written", ["SC-Q\u034f1", "SC-\u3164Q1", "SC-Q\u180b1", "SC-Q1\ufe0f", "SC\u2043Q1", "SC\u30fbQ1"]
)
def test_a_sealed_key_written_with_an_ignorable_character_is_refused(world, tmp_path, written):
    deliver(tmp_path, "police.contacts", [Q1])
    deliver(tmp_path, "court.sealing", [NOTICE_Q])
    summary = import_rows(feed="police.contacts", rows=[{**Q1, "contact_no": written}])
    assert (summary.created, summary.updated, summary.sealed) == (0, 0, 1), written
