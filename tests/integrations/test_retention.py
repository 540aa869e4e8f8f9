"""Retention: the schedule's boundaries, what holds a record, the purge job and its log, and the report."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from casework.models import (
    AuditEntry,
    Case,
    CaseStatus,
    ConcernType,
    Event,
    EventKind,
    Intervention,
    InterventionKind,
    Referral,
    ReferralStatus,
    RiskScore,
    Youth,
)
from casework.youth import services as youth_services
from integrations.models import (
    BatchStatus,
    ImportBatch,
    PurgeRun,
    PurgeRunStatus,
    QuarantinedRow,
    RecordLink,
    RecordType,
    RetentionRule,
    SealingAction,
    SourceRecord,
)
from integrations.retention import services as retention_services
from tests.fixtures import PASSWORD

TODAY = dt.date(2029, 1, 15)  # the fixture world's youth (aged 15 today) are not due yet


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, 12))


def _adult(world, name="成年", born=dt.date(2005, 1, 10)) -> Youth:
    """A youth with a timeline, a linked source record and a score, and no casework."""
    y = youth_services.create_youth(name=name, birth_date=born)
    batch = ImportBatch.objects.create(feed="police.contacts", checksum="x" * 64, origin="command",
                                       status=BatchStatus.COMPLETED)  # fmt: skip
    rec = SourceRecord.objects.create(
        feed="police.contacts", record_key=f"P-{y.pk}", batch=batch, row_number=1, raw={"name": name},
        values={"kind": "deviant"}, row_hash="h", received_at=timezone.now(), knowledge_date=born,
    )  # fmt: skip
    RecordLink.objects.create(feed="police.contacts", record_key=rec.record_key, youth=y, method="single")
    youth_services.record_event(
        youth=y, kind=EventKind.POLICE_DEVIANT, event_date=dt.date(2020, 1, 1), knowledge_date=dt.date(2020, 1, 1),
        owning_bureau=world.b.police, source_feed="police.contacts", source_key=rec.record_key,
        source_record_id=rec.pk,
    )  # fmt: skip
    RiskScore.objects.create(
        youth=y, as_of=dt.date(2021, 1, 1), score=0.2, band="low", rank=1, model_version="m"
    )
    return y


def _closed_case(world, youth, closed_on: dt.date) -> Case:
    case = Case.objects.create(
        youth=youth, lead_bureau=world.b.committee, opened_by=world.u.guidance, concern=ConcernType.DEVIANT,
        status=CaseStatus.CLOSED, closed_at=_aware(closed_on), opened_at=_aware(closed_on - dt.timedelta(200)),
    )  # fmt: skip
    Intervention.objects.create(case=case, kind=InterventionKind.HOME_VISIT, occurred_on=closed_on - dt.timedelta(30),
                                worker=world.u.guidance, notes="visited")  # fmt: skip
    return case


def test_the_schedule_is_data_seeded_with_its_legal_basis(db):
    rules = retention_services.rules()
    assert set(rules) == set(RecordType.values)
    assert rules[RecordType.CLOSED_CASE].period_months == 84
    assert rules[RecordType.YOUTH_RECORD].anchor == "birthday_18"
    assert all(r.basis_zh and r.basis_en for r in rules.values())


def test_a_youth_record_goes_six_months_after_the_18th_birthday_not_a_day_earlier(world):
    y = _adult(world, born=dt.date(2008, 3, 1))
    expiry = dt.date(2026, 9, 1)
    retention_services.purge_expired(as_of=expiry - dt.timedelta(days=1))
    assert Youth.objects.filter(pk=y.pk).exists()
    summary = retention_services.purge_expired(as_of=expiry)
    assert not Youth.objects.filter(pk=y.pk).exists()
    assert y.public_id in summary.youth_public_ids
    assert not Event.all_objects.filter(youth_id=y.pk).exists()
    assert not SourceRecord.objects.filter(record_key=f"P-{y.pk}").exists()
    assert not RecordLink.objects.filter(youth_id=y.pk).exists()
    assert not RiskScore.objects.filter(youth_id=y.pk).exists()


def test_a_closed_case_holds_the_youth_for_seven_years_after_closure(world):
    y = _adult(world)
    closed = dt.date(2023, 3, 10)
    case = _closed_case(world, y, closed)
    retention_services.purge_expired(as_of=closed + relativedelta(years=7) - dt.timedelta(days=1))
    assert Case.objects.filter(pk=case.pk).exists() and Youth.objects.filter(pk=y.pk).exists()
    summary = retention_services.purge_expired(as_of=closed + relativedelta(years=7) + dt.timedelta(days=1))
    assert not Youth.objects.filter(pk=y.pk).exists()
    assert not Intervention.objects.filter(case_id=case.pk).exists()
    assert summary.counts["casework.case"] == 1 and summary.counts["casework.intervention"] == 1


def test_an_expired_case_goes_alone_while_a_younger_youth_record_stays(world):
    y = _adult(world, born=dt.date(2022, 1, 1))  # a child: their own record is kept until 2040
    old = _closed_case(world, y, dt.date(2022, 6, 1))
    retention_services.purge_expired(as_of=dt.date(2029, 6, 1))
    assert not Case.objects.filter(pk=old.pk).exists()
    assert Youth.objects.filter(pk=y.pk).exists() and Event.objects.filter(youth=y).exists()


def test_an_open_case_or_a_pending_referral_holds_everything(world):
    held_by_case = _adult(world, name="開案")
    Case.objects.create(youth=held_by_case, lead_bureau=world.b.committee, opened_by=world.u.guidance,
                        concern=ConcernType.DEVIANT)  # fmt: skip
    old = _closed_case(world, held_by_case, dt.date(2010, 1, 1))
    held_by_referral = _adult(world, name="轉介")
    Referral.objects.create(youth=held_by_referral, from_bureau=world.b.committee, from_user=world.u.guidance,
                            to_bureau=world.b.welfare, reason="r", consent="obtained",
                            status=ReferralStatus.PENDING)  # fmt: skip
    summary = retention_services.purge_expired(as_of=TODAY)
    assert Youth.objects.filter(pk__in=[held_by_case.pk, held_by_referral.pk]).count() == 2
    assert Case.objects.filter(pk=old.pk).exists()  # an open case holds the youth's old cases too
    assert summary.held[retention_services.HoldReason.OPEN_CASE] >= 1
    assert summary.held[retention_services.HoldReason.ACTIVE_REFERRAL] >= 1


def test_a_dry_run_reports_what_would_go_and_changes_nothing(world):
    y = _adult(world)
    audit_before = AuditEntry.objects.count()
    summary = retention_services.purge_expired(as_of=TODAY, dry_run=True)
    assert y.public_id in summary.youth_public_ids and summary.counts["casework.event"] >= 1
    assert Youth.objects.filter(pk=y.pk).exists() and Event.objects.filter(youth=y).exists()
    assert not PurgeRun.objects.exists()
    assert AuditEntry.objects.count() == audit_before


def test_a_purge_is_logged_without_content_and_a_rerun_removes_nothing_more(world):
    y = _adult(world)
    retention_services.purge_expired(as_of=TODAY)
    run = PurgeRun.objects.get()
    assert run.status == PurgeRunStatus.COMPLETED and run.youth_public_ids == [y.public_id]
    assert run.counts["casework.youth"] == 1 and run.counts["integrations.sourcerecord"] == 1
    assert "成年" not in str(run.counts) + str(run.youth_public_ids)
    entries = AuditEntry.objects.filter(action="delete", youth_public_id=y.public_id)
    assert entries.exists() and all("成年" not in str(e.detail) for e in entries)
    again = retention_services.purge_expired(as_of=TODAY)
    assert not again.counts and not again.youth_public_ids
    assert PurgeRun.objects.count() == 2


def test_the_audit_log_is_never_purged(world):
    y = _adult(world)
    youth_services.create_youth(name="x")
    before = set(AuditEntry.objects.values_list("pk", flat=True))
    retention_services.purge_expired(as_of=TODAY)
    assert before <= set(AuditEntry.objects.values_list("pk", flat=True))
    assert not Youth.objects.filter(pk=y.pk).exists()


def test_a_crash_mid_purge_leaves_that_youth_whole_and_the_run_marked_failed(world):
    first = _adult(world, name="甲", born=dt.date(2004, 1, 1))
    second = _adult(world, name="乙", born=dt.date(2005, 1, 1))
    real_delete = QuerySet.delete
    calls = {"youth": 0}

    def failing(self):
        # The second youth's source records fail after its events and links were already deleted.
        if self.model is SourceRecord and calls["youth"] >= 1:
            raise RuntimeError("disk on fire")
        if self.model is Youth:
            calls["youth"] += 1
        return real_delete(self)

    with mock.patch.object(QuerySet, "delete", failing), pytest.raises(RuntimeError):
        retention_services.purge_expired(as_of=TODAY)
    run = PurgeRun.objects.get()
    assert run.status == PurgeRunStatus.FAILED and "disk on fire" in run.error
    # One youth went (and the run says so); the other is untouched, not half-deleted.
    gone = [y for y in (first, second) if not Youth.objects.filter(pk=y.pk).exists()]
    kept = [y for y in (first, second) if Youth.objects.filter(pk=y.pk).exists()]
    assert len(gone) == 1 and len(kept) == 1
    assert run.youth_public_ids == [gone[0].public_id]
    assert Event.objects.filter(youth=kept[0]).count() == 1
    assert SourceRecord.objects.filter(record_key=f"P-{kept[0].pk}").exists()
    assert RecordLink.objects.filter(youth=kept[0]).exists()
    retention_services.purge_expired(as_of=TODAY)
    assert not Youth.objects.filter(pk=kept[0].pk).exists()


def test_sealed_shells_stay_with_the_sealing_fact_and_lose_their_dates(world):
    batch = ImportBatch.objects.create(feed="police.contacts", checksum="y" * 64, origin="command",
                                       status=BatchStatus.COMPLETED)  # fmt: skip
    shell = SourceRecord.objects.create(
        feed="police.contacts", record_key="SEALED-1", batch=batch, row_number=1, raw={"sealed": True},
        values={"sealed": True}, row_hash="abc", received_at=timezone.now(), knowledge_date=dt.date(2020, 1, 1),
        event_date=dt.date(2020, 1, 1), sealed_at=timezone.now(),
    )  # fmt: skip
    SealingAction.objects.create(notice_key="N1", youth_public_id="YX", sealed_keys=["SEALED-1"])
    summary = retention_services.purge_expired(as_of=TODAY)
    shell.refresh_from_db()
    assert shell.event_date is None and shell.row_hash == "" and shell.values == {"sealed": True}
    assert SealingAction.objects.filter(notice_key="N1").exists()
    assert summary.counts[retention_services.SEALED_RESIDUE] == 1
    assert not retention_services.purge_expired(as_of=TODAY).counts


def test_quarantined_rows_go_a_year_after_import(world):
    old = ImportBatch.objects.create(feed="police.contacts", checksum="q" * 64, origin="command",
                                     status=BatchStatus.COMPLETED, received_at=_aware(dt.date(2029, 6, 15)))  # fmt: skip
    row = QuarantinedRow.objects.create(
        batch=old, feed="police.contacts", row_number=3, raw={"a": 1}, reasons=["x"]
    )
    retention_services.purge_expired(as_of=dt.date(2030, 6, 14))
    assert QuarantinedRow.objects.filter(pk=row.pk).exists()
    retention_services.purge_expired(as_of=dt.date(2030, 6, 15))
    assert not QuarantinedRow.objects.filter(pk=row.pk).exists()


def test_the_command_and_the_task_run_the_purge(world, capsys):
    y = _adult(world)
    call_command("purge_expired", "--as-of", TODAY.isoformat(), "--dry-run")
    assert "would remove 1 youth" in capsys.readouterr().out and Youth.objects.filter(pk=y.pk).exists()
    from integrations.tasks import purge_expired_records

    result = purge_expired_records.delay(as_of=TODAY.isoformat()).get()
    assert result["youth_removed"] == 1 and not Youth.objects.filter(pk=y.pk).exists()
    assert PurgeRun.objects.get().origin == "task"


def test_the_rules_are_read_from_the_data(world):
    y = _adult(world, born=dt.date(2012, 1, 1))
    retention_services.rules()
    RetentionRule.objects.filter(record_type=RecordType.YOUTH_RECORD).update(period_months=0)
    retention_services.purge_expired(as_of=dt.date(2030, 1, 1))
    assert not Youth.objects.filter(pk=y.pk).exists()


# -- the report --------------------------------------------------------------------------------------------


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


@pytest.mark.parametrize("name", ["steward", "auditor"])
def test_stewards_and_auditors_read_the_retention_report(world, client, name):
    today = timezone.localdate()
    y = youth_services.create_youth(
        name="鄺瀞淳", birth_date=today - relativedelta(years=18, months=6) + relativedelta(months=2)
    )
    retention_services.purge_expired()
    _login(client, getattr(world.u, name))
    response = client.get(reverse("integrations:retention-report"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "鄺瀞淳" not in body  # IDs, never names
    # The day a youth's record expires runs from their 18th birthday, so it gives the birth date away: only the
    # steward, who may read identities and runs the purge, sees whose record it is; the auditor sees the day.
    due = next(
        d for d in response.context["next_due"] if d.object_id == y.pk and d.rule.anchor == "birthday_18"
    )
    assert (y.public_id in body) == (name == "steward")
    assert due.youth_public_id == (y.public_id if name == "steward" else "")
    assert "少年事件處理法" in body or "Juvenile Justice Act" in body
    assert len(response.context["table"]) == 12
    assert response.context["runs"]


@pytest.mark.parametrize("name", ["guidance", "supervisor", "modeller", "admin"])
def test_others_may_not_read_the_retention_report(world, client, name):
    _login(client, getattr(world.u, name))
    assert client.get(reverse("integrations:retention-report")).status_code == 403


def test_a_youth_on_a_liaison_meetings_agenda_is_purged_with_the_line_and_its_action_items(world):
    """An agenda line holds on to its youth (PROTECT): the purge takes the line, its action items and shares
    first, and the purge goes through (it stopped on a ProtectedError before)."""
    from casework.meetings import services as meeting_services
    from casework.models import ActionItem, AgendaItem
    from tests.fixtures import actor

    y = _adult(world, born=dt.date(2008, 3, 1))
    meeting = meeting_services.schedule_meeting(
        actor=actor(world.u.supervisor), title="聯繫會議", starts_at=timezone.now() + dt.timedelta(days=2),
        chair=world.u.supervisor, invited_bureaus=[world.b.police, world.b.committee], invitees=[world.u.officer],
    )  # fmt: skip
    line = meeting_services.add_item(
        actor=actor(world.u.supervisor), meeting=meeting, summary="協調", youth=y
    )
    meeting_services.add_action_item(
        actor=actor(world.u.supervisor),
        item=line,
        text="聯繫家長",
        due_on=world.today,
        owner_user=world.u.officer,
    )
    kept = meeting_services.add_item(
        actor=actor(world.u.supervisor), meeting=meeting, summary="另案", youth=world.y.alert
    )
    retention_services.purge_expired(as_of=dt.date(2026, 9, 1))
    assert not Youth.objects.filter(pk=y.pk).exists()
    assert (
        not AgendaItem.objects.filter(pk=line.pk).exists()
        and not ActionItem.objects.filter(item=line).exists()
    )
    assert AgendaItem.objects.filter(pk=kept.pk).exists()
