"""Liaison meetings (docs/meetings.md, access-policy rule 21): who runs them, what the platform proposes, what
each bureau's pack shows, shares that expire and are reviewed, action items that come back until done, minutes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from casework.access import policy
from casework.cases import services as case_services
from casework.meetings import services
from casework.meetings.proposal import proposed_items
from casework.models import (
    AgendaItemKind,
    AlertStatus,
    AuditAction,
    AuditEntry,
    Event,
    EventKind,
    InterventionKind,
    MeetingShare,
    MeetingStatus,
    Referral,
    RiskScore,
    Role,
)
from casework.youth import services as youth_services
from tests.fixtures import PASSWORD, actor, make_user

pytestmark = pytest.mark.django_db

REASON = "The police need the welfare picture to plan the home visit together."


@pytest.fixture
def w(world):
    w = world
    # Stuck work: the committee's referral to welfare unanswered for 20 days; the police alert escalated.
    Referral.objects.filter(pk=w.referral.pk).update(created_at=w.now - dt.timedelta(days=20))
    w.alert.escalate(at=w.now)
    w.alert.save()
    return w


def schedule(w, by=None, **kw):
    return services.schedule_meeting(
        actor=actor(by or w.u.secretariat),
        title="十二月聯繫會議",
        starts_at=kw.pop("starts_at", w.now + dt.timedelta(days=2)),
        chair=w.u.supervisor,
        invited_bureaus=kw.pop("bureaus", [w.b.police, w.b.welfare, w.b.committee]),
        invitees=kw.pop("invitees", [w.u.officer]),
        **kw,
    )


def item_for(meeting, youth):
    return meeting.items.get(youth=youth, removed_at__isnull=True)


# --- who runs meetings ---------------------------------------------------------------------------------------


def test_committee_supervisors_and_secretariat_run_meetings_others_do_not(w):
    assert policy.can_run_meetings(w.u.secretariat)
    assert policy.can_run_meetings(w.u.supervisor)
    for name in (
        "officer",
        "guidance",
        "social",
        "police_supervisor",
        "auditor",
        "admin",
        "steward",
        "counsellor",
    ):
        assert not policy.can_run_meetings(getattr(w.u, name)), name


def test_a_secretariat_of_another_bureau_does_not_run_meetings(w):
    other = make_user("police_secretary", w.b.police, Role.SECRETARIAT)
    assert not policy.can_run_meetings(other)


def test_scheduling_is_refused_to_a_participant(w):
    with pytest.raises(PermissionDenied):
        schedule(w, by=w.u.police_supervisor)
    with pytest.raises(PermissionDenied):
        schedule(w, by=w.u.guidance)


def test_editing_and_recording_are_refused_to_participants_and_after_the_minutes_are_final(w):
    meeting = schedule(w)
    item = item_for(meeting, w.y.alert)
    with pytest.raises(PermissionDenied):
        services.record_decision(actor=actor(w.u.police_supervisor), item=item, decision="x")
    with pytest.raises(PermissionDenied):
        services.edit_item(actor=actor(w.u.officer), item=item, remove=True)
    with pytest.raises(PermissionDenied):
        services.add_action_item(
            actor=actor(w.u.social), item=item, text="x", due_on=w.today, owner_bureau=w.b.police
        )
    services.record_decision(actor=actor(w.u.secretariat), item=item, decision="警察隊一週內聯繫家長")
    services.record_attendance(actor=actor(w.u.secretariat), meeting=meeting, attendees=[w.u.supervisor])
    services.close_meeting(actor=actor(w.u.supervisor), meeting=meeting)
    with pytest.raises(ValidationError):
        services.record_decision(actor=actor(w.u.secretariat), item=item, decision="改")


def test_closing_needs_the_attendance(w):
    meeting = schedule(w)
    with pytest.raises(ValidationError):
        services.close_meeting(actor=actor(w.u.secretariat), meeting=meeting)


# --- the proposed agenda --------------------------------------------------------------------------------------


def test_the_proposal_picks_exactly_the_stuck_items(w):
    meeting = schedule(w)
    got = {(i.kind, i.youth_id) for i in meeting.items.all()}
    assert got == {
        (AgendaItemKind.REFERRAL_OVERDUE, w.y.referred.pk),
        (AgendaItemKind.ESCALATED, w.y.alert.pk),
    }


def test_fresh_referrals_open_alerts_in_time_and_uninvited_bureaus_are_not_proposed(w):
    Referral.objects.filter(pk=w.referral.pk).update(created_at=w.now - dt.timedelta(days=3))
    meeting = schedule(
        w, bureaus=[w.b.welfare], invitees=[]
    )  # the police are not invited: their escalation is theirs
    assert meeting.items.count() == 0


def test_missed_deadlines_closures_top_band_and_transfers_are_proposed(w):
    # A next step on the committee's case, past its date.
    case_services.log_intervention(
        actor=actor(w.u.guidance), case=w.case, kind=InterventionKind.HOME_VISIT,
        occurred_on=w.today - dt.timedelta(days=20), next_step="家訪", next_due=w.today - dt.timedelta(days=5),
    )  # fmt: skip
    # A very-high-band youth with no open case.
    RiskScore.objects.create(
        youth=w.y.none, as_of=w.today, score=0.9, band="very_high", rank=1, model_version="m1"
    )
    # A transfer waiting for an answer.
    transfer = case_services.refer(
        actor=actor(w.u.guidance), youth=w.y.case, case=w.case, from_bureau=w.b.committee, to_bureau=w.b.welfare,
        reason="家庭支持為主", consent="obtained", kind="transfer",
    )  # fmt: skip
    kinds = {(p.kind, p.youth_id) for p in proposed_items(schedule(w))}
    assert (AgendaItemKind.DEADLINE_MISSED, w.y.case.pk) in kinds
    assert (AgendaItemKind.TOP_BAND_NO_CASE, w.y.none.pk) in kinds
    assert (AgendaItemKind.CROSS_BUREAU, w.y.case.pk) in kinds
    assert transfer.pk


def test_proposing_again_adds_only_what_is_new_and_keeps_removed_items_off(w):
    meeting = schedule(w)
    item = item_for(meeting, w.y.referred)
    services.edit_item(actor=actor(w.u.secretariat), item=item, remove=True)
    assert services.propose_agenda(actor=actor(w.u.secretariat), meeting=meeting) == []
    assert not meeting.items.filter(removed_at__isnull=True, youth=w.y.referred).exists()


def test_the_secretariat_reorders_and_annotates(w):
    meeting = schedule(w)
    first, second = list(meeting.items.order_by("position"))
    services.edit_item(actor=actor(w.u.secretariat), item=second, move="up", note="先討論")
    order = list(meeting.items.order_by("position").values_list("pk", flat=True))
    assert order == [second.pk, first.pk]
    second.refresh_from_db()
    assert second.note == "先討論"


# --- packs ------------------------------------------------------------------------------------------------------


def pack_youth(user, meeting, bureau):
    return {i.youth_id for i, _share in policy.pack_items(user, meeting, bureau.pk)}


def test_a_pack_shows_only_youth_the_participant_may_see(w):
    meeting = schedule(w)
    # The police see the youth of their own alert, not the youth referred to welfare.
    assert pack_youth(w.u.officer, meeting, w.b.police) == {w.y.alert.pk}
    assert pack_youth(w.u.police_supervisor, meeting, w.b.police) == {w.y.alert.pk}
    # Welfare sees its referral's youth (its supervisor is not in the fixture; the social worker is not invited).
    assert pack_youth(w.u.social, meeting, w.b.welfare) == set()
    meeting.invitees.add(w.u.social)
    assert pack_youth(w.u.social, meeting, w.b.welfare) == {w.y.referred.pk}


def test_a_pack_is_nothing_for_someone_not_taking_part(w):
    meeting = schedule(w, invitees=[])
    assert policy.pack_items(w.u.officer, meeting, w.b.police.pk) == []
    assert pack_youth(w.u.police_supervisor, meeting, w.b.welfare) == set()
    assert not policy.visible_meetings(w.u.officer).filter(pk=meeting.pk).exists()
    assert policy.visible_meetings(w.u.police_supervisor).filter(pk=meeting.pk).exists()


def test_a_share_adds_the_youth_and_its_named_sources_to_that_bureaus_pack(w):
    meeting = schedule(w)
    item = item_for(meeting, w.y.referred)
    entry_before = [i for i, _ in policy.pack_items(w.u.officer, meeting, w.b.police.pk)]
    assert item not in entry_before
    share = services.share_item(
        actor=actor(w.u.secretariat), item=item, bureau=w.b.police, sources=["welfare"], case_content=False,
        reason=REASON,
    )  # fmt: skip
    pairs = dict(policy.pack_items(w.u.officer, meeting, w.b.police.pk))
    assert pairs[item] == share
    entry = policy.pack_entry(w.u.officer, item, share, w.b.police.pk)
    assert {e.source for e in entry.timeline.events} == {"welfare"}
    # Still not a reason to open the youth's record anywhere else.
    assert not policy.can_view_youth(w.u.officer, w.y.referred)
    # Another bureau gets nothing from it.
    meeting.invitees.add(w.u.social)
    assert w.y.referred.pk in pack_youth(w.u.social, meeting, w.b.welfare)
    assert AuditEntry.objects.filter(object_type="meetingshare", object_id=str(share.pk)).exists()


def test_without_a_share_other_sources_are_a_count_only(w):
    meeting = schedule(w)
    item = item_for(meeting, w.y.alert)
    entry = policy.pack_entry(w.u.officer, item, None, w.b.police.pk)
    assert {e.source for e in entry.timeline.events} == {"police"}
    assert entry.timeline.restricted_counts == {"school": 1}


def test_shares_are_refused_to_participants_and_for_bureaus_not_invited(w):
    meeting = schedule(w, bureaus=[w.b.police, w.b.committee])
    item = item_for(meeting, w.y.alert)
    with pytest.raises(PermissionDenied):
        services.share_item(
            actor=actor(w.u.police_supervisor), item=item, bureau=w.b.police, sources=["school"],
            case_content=False, reason=REASON,
        )  # fmt: skip
    with pytest.raises(ValidationError):
        services.share_item(
            actor=actor(w.u.secretariat), item=item, bureau=w.b.welfare, sources=["police"],
            case_content=False, reason=REASON,
        )  # fmt: skip


def test_a_share_expires_at_midnight_after_the_meeting_day(w):
    meeting = schedule(w)
    item = item_for(meeting, w.y.referred)
    share = services.share_item(
        actor=actor(w.u.secretariat), item=item, bureau=w.b.police, sources=["welfare"], case_content=True,
        reason=REASON,
    )  # fmt: skip
    assert share.expires_at == policy.meeting_share_until(meeting)
    assert share.expires_at > meeting.starts_at
    MeetingShare.objects.filter(pk=share.pk).update(
        granted_at=w.now - dt.timedelta(days=3), expires_at=w.now - dt.timedelta(seconds=1)
    )
    assert w.y.referred.pk not in pack_youth(w.u.officer, meeting, w.b.police)


def test_a_sealed_record_never_appears_in_a_pack(w):
    meeting = schedule(w)
    item = item_for(meeting, w.y.referred)
    share = services.share_item(
        actor=actor(w.u.secretariat), item=item, bureau=w.b.police, sources=["welfare", "police"],
        case_content=False, reason=REASON,
    )  # fmt: skip
    event = Event.objects.get(youth=w.y.referred, kind=EventKind.FRAGILE_FAMILY)
    Event.all_objects.filter(pk=event.pk).update(sealed_at=timezone.now())
    entry = policy.pack_entry(w.u.officer, item, share, w.b.police.pk)
    assert entry.timeline.events == [] and entry.timeline.restricted_counts == {}


def test_a_share_is_reviewed_by_someone_else(w):
    meeting = schedule(w, by=w.u.supervisor)
    share = services.share_item(
        actor=actor(w.u.supervisor), item=item_for(meeting, w.y.referred), bureau=w.b.police,
        sources=["welfare"], case_content=False, reason=REASON,
    )  # fmt: skip
    assert not policy.can_review_meeting_share(w.u.supervisor, share)
    assert not policy.can_review_meeting_share(w.u.secretariat, share)
    assert not policy.can_review_meeting_share(w.u.police_supervisor, share)
    assert policy.can_review_meeting_share(w.u.auditor, share)
    services.review_meeting_share(actor=actor(w.u.auditor), share=share, outcome="justified")
    with pytest.raises(PermissionDenied):
        services.review_meeting_share(actor=actor(w.u.supervisor), share=share, outcome="justified")


# --- action items ---------------------------------------------------------------------------------------------


def test_action_items_are_tasks_of_their_owners_and_come_back_until_done(w, client):
    meeting = schedule(w)
    item = item_for(meeting, w.y.alert)
    action = services.add_action_item(
        actor=actor(w.u.secretariat), item=item, text="聯繫家長並回報", due_on=w.today + dt.timedelta(days=7),
        owner_user=w.u.officer,
    )  # fmt: skip
    bureau_action = services.add_action_item(
        actor=actor(w.u.secretariat), item=item, text="提供學校出缺席", due_on=w.today + dt.timedelta(days=7),
        owner_bureau=w.b.welfare,
    )  # fmt: skip
    client.login(username="officer", password=PASSWORD)
    page = client.get(reverse("my-tasks")).content.decode()
    assert "聯繫家長並回報" in page and "提供學校出缺席" not in page
    client.login(username="social", password=PASSWORD)
    page = client.get(reverse("my-tasks")).content.decode()
    assert "提供學校出缺席" in page and "聯繫家長並回報" not in page
    # The social worker may not see the youth: the task does not name them.
    assert w.y.alert.public_id not in page
    # Not invited by name, the social worker cannot open the meeting: the task leads to their action items on
    # the meetings page, which opens; the officer's leads to the meeting itself.
    assert f'href="{reverse("meeting-list")}#action-{bureau_action.pk}"' in page
    assert client.get(reverse("meeting-detail", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("meeting-list")).status_code == 200
    client.login(username="officer", password=PASSWORD)
    officer_page = client.get(reverse("my-tasks")).content.decode()
    assert f'href="{reverse("meeting-detail", args=[meeting.pk])}#action-{action.pk}"' in officer_page
    client.login(username="social", password=PASSWORD)
    # The next meeting proposes both again; once done, they are gone from tasks and from the next proposal.
    services.record_attendance(actor=actor(w.u.secretariat), meeting=meeting, attendees=[w.u.officer])
    services.close_meeting(actor=actor(w.u.secretariat), meeting=meeting)
    later = schedule(w, starts_at=w.now + dt.timedelta(days=30))
    follow = set(
        later.items.filter(kind=AgendaItemKind.ACTION_FOLLOW_UP).values_list("follows_up", flat=True)
    )
    assert follow == {action.pk, bureau_action.pk}
    services.complete_action_item(actor=actor(w.u.officer), action=action, note="已聯繫")
    with pytest.raises(PermissionDenied):
        services.complete_action_item(actor=actor(w.u.officer), action=bureau_action)
    client.login(username="officer", password=PASSWORD)
    assert "聯繫家長並回報" not in client.get(reverse("my-tasks")).content.decode()
    third = schedule(w, starts_at=w.now + dt.timedelta(days=60))
    follow = set(
        third.items.filter(kind=AgendaItemKind.ACTION_FOLLOW_UP).values_list("follows_up", flat=True)
    )
    assert follow == {bureau_action.pk}


def test_an_action_owner_must_be_at_the_meeting(w):
    meeting = schedule(w, bureaus=[w.b.police])
    item = item_for(meeting, w.y.alert)
    with pytest.raises(ValidationError):
        services.add_action_item(
            actor=actor(w.u.secretariat), item=item, text="x", due_on=w.today, owner_bureau=w.b.education
        )
    with pytest.raises(ValidationError):
        services.add_action_item(
            actor=actor(w.u.secretariat), item=item, text="x", due_on=w.today, owner_user=w.u.social
        )


# --- minutes and logging --------------------------------------------------------------------------------------


def test_minutes_pdf_downloads_for_runners_once_final_and_is_logged(w, client):
    meeting = schedule(w)
    url = reverse("meeting-minutes", args=[meeting.pk])
    client.login(username="secretariat", password=PASSWORD)
    assert client.get(url).status_code == 403  # not final yet
    services.record_attendance(actor=actor(w.u.secretariat), meeting=meeting, attendees=[w.u.officer])
    services.close_meeting(actor=actor(w.u.secretariat), meeting=meeting)
    assert meeting.status == MeetingStatus.HELD
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="meeting").get()
    assert entry.username == "secretariat" and entry.detail["format"] == "pdf"
    assert str(entry.pk).encode() in response["Content-Disposition"].encode()
    client.login(username="police_supervisor", password=PASSWORD)
    assert client.get(url).status_code == 403


def test_every_pack_view_is_logged_per_youth(w, client):
    meeting = schedule(w)
    client.login(username="officer", password=PASSWORD)
    response = client.get(reverse("meeting-pack", args=[meeting.pk, "police"]))
    assert response.status_code == 200
    assert w.y.alert.public_id in response.content.decode()
    assert w.y.referred.public_id not in response.content.decode()
    views = AuditEntry.objects.filter(action=AuditAction.VIEW, object_type="agendaitem", username="officer")
    assert list(views.values_list("youth_public_id", flat=True)) == [w.y.alert.public_id]
    assert client.get(reverse("meeting-pack", args=[meeting.pk, "welfare"])).status_code == 404


def test_alert_status_used_by_the_fixture(w):
    w.alert.refresh_from_db()
    assert w.alert.status == AlertStatus.ESCALATED
    assert youth_services  # the fixture's writer


# --- sealing (Art. 83-1) reaches the meetings (insider review 9, F1) ------------------------------------------


def test_sealing_erases_the_agenda_lines_decisions_action_items_and_shares_derived_from_the_record(w, client):
    from casework.access.sealing import erase_derived_from_events
    from casework.models import ActionItem, AgendaItem

    meeting = schedule(w)
    sealed_line = item_for(meeting, w.y.alert)  # the escalated police alert of the sealed contact
    kept_line = item_for(meeting, w.y.referred)  # the referral to welfare: nothing sealed about it
    services.record_decision(actor=actor(w.u.secretariat), item=sealed_line, decision="警察隊一週內聯繫家長")
    action = services.add_action_item(
        actor=actor(w.u.secretariat), item=sealed_line, text="追蹤夜間遊蕩情形", due_on=w.today,
        owner_user=w.u.officer,
    )  # fmt: skip
    share = services.share_item(
        actor=actor(w.u.secretariat), item=sealed_line, bureau=w.b.welfare, sources=["police"],
        case_content=False, reason=REASON,
    )  # fmt: skip
    services.record_attendance(actor=actor(w.u.secretariat), meeting=meeting, attendees=[w.u.supervisor])
    services.close_meeting(actor=actor(w.u.supervisor), meeting=meeting)
    later = schedule(w, starts_at=w.now + dt.timedelta(days=9))
    follow_up = later.items.get(follows_up=action)  # the open action item came back on the next agenda

    erase_derived_from_events(event_ids=[w.alert.source_event_id], actor=actor(w.u.supervisor))

    assert not AgendaItem.objects.filter(pk__in=[sealed_line.pk, follow_up.pk]).exists()
    assert not ActionItem.objects.filter(pk=action.pk).exists()
    assert not MeetingShare.objects.filter(pk=share.pk).exists()
    assert AgendaItem.objects.filter(pk=kept_line.pk).exists()  # the allowed side
    client.login(username="officer", password=PASSWORD)
    assert "追蹤夜間遊蕩情形" not in client.get(reverse("my-tasks")).content.decode()
    # The minutes are made from the agenda as it is now; proposing again does not bring the line back.
    services.propose_agenda(actor=actor(w.u.secretariat), meeting=later)
    assert not later.items.filter(youth=w.y.alert).exists()
    assert not meeting.items.filter(youth=w.y.alert).exists()


# --- a share lasts for its meeting only (insider review 9, F2) --------------------------------------------------


def test_closing_the_minutes_ends_every_share_of_the_meeting(w):
    meeting = schedule(w)
    services.share_item(
        actor=actor(w.u.secretariat), item=item_for(meeting, w.y.referred), bureau=w.b.police,
        sources=["welfare"], case_content=False, reason=REASON,
    )  # fmt: skip
    assert w.y.referred.pk in pack_youth(w.u.officer, meeting, w.b.police)  # the allowed side
    services.record_attendance(actor=actor(w.u.secretariat), meeting=meeting, attendees=[w.u.supervisor])
    services.close_meeting(actor=actor(w.u.supervisor), meeting=meeting)
    assert w.y.referred.pk not in pack_youth(w.u.officer, meeting, w.b.police)


def test_a_meeting_is_scheduled_at_most_a_quarter_ahead_and_a_share_made_at_most_two_weeks_before_it(w):
    with pytest.raises(ValidationError):
        schedule(w, starts_at=w.now + dt.timedelta(days=services.SCHEDULE_AHEAD_DAYS + 1))
    far = schedule(w, starts_at=w.now + dt.timedelta(days=services.SHARE_AHEAD_DAYS + 2))
    with pytest.raises(ValidationError):
        services.share_item(
            actor=actor(w.u.secretariat), item=item_for(far, w.y.referred), bureau=w.b.police,
            sources=["welfare"], case_content=False, reason=REASON,
        )  # fmt: skip
    assert not MeetingShare.objects.filter(meeting=far).exists()


def test_a_youth_id_refused_on_the_agenda_form_is_logged_like_any_try_at_a_record(w, client):
    """Insider review 9, F7: trying youth IDs on the agenda form was a silent existence check."""
    meeting = schedule(w)
    client.login(username="secretariat", password=PASSWORD)
    url = reverse("meeting-item-add", args=[meeting.pk])
    client.post(url, {"summary": "其他", "youth_id": "YAAAAAAAAAA"})
    denied = AuditEntry.objects.filter(action=AuditAction.DENIED, path=url)
    assert denied.count() == 1 and denied.get().detail["fields"] == ["youth_id"]
    client.post(
        url, {"summary": "其他", "youth_id": w.y.case.public_id}
    )  # the allowed side: a committee case
    assert denied.count() == 1 and meeting.items.filter(youth=w.y.case).exists()


def test_only_youth_known_to_the_committee_go_on_an_agenda_by_id_and_others_read_as_unknown(w, client):
    """Insider review 11, F2: the form confirmed that any youth ID existed. A youth the committee has no record
    about is refused with the same words as an ID nobody has."""
    meeting = schedule(w)
    client.login(username="secretariat", password=PASSWORD)
    url = reverse("meeting-item-add", args=[meeting.pk])
    unknown = client.post(url, {"summary": "其他", "youth_id": "YAAAAAAAAAA"}, follow=True).content.decode()
    exists = client.post(
        url, {"summary": "其他", "youth_id": w.y.none.public_id}, follow=True
    ).content.decode()
    assert "委員會" in unknown
    assert not meeting.items.filter(youth=w.y.none).exists()

    def message(page: str) -> str:
        return page[page.index('class="messages') :][:400]

    assert message(unknown) == message(exists)
    client.post(url, {"summary": "其他", "youth_id": w.y.case.public_id})
    assert meeting.items.filter(youth=w.y.case).exists()


def test_those_who_run_meetings_cannot_mark_an_owner_s_action_item_done(w, client):
    """Insider review 11, F1: the secretariat or a committee supervisor closed the officer's follow-up, which
    then left the officer's tasks and the next agenda without the officer ever saying it was done."""
    meeting = schedule(w)
    action = services.add_action_item(
        actor=actor(w.u.secretariat), item=item_for(meeting, w.y.alert), text="聯繫家長並回報",
        due_on=w.today + dt.timedelta(days=7), owner_user=w.u.officer,
    )  # fmt: skip
    for runner in (w.u.secretariat, w.u.supervisor):
        with pytest.raises(PermissionDenied):
            services.complete_action_item(actor=actor(runner), action=action, note="代為結案")
        client.login(username=runner.username, password=PASSWORD)
        assert (
            client.post(reverse("api:actionitem-complete", args=[action.pk]), {"note": "x"}).status_code
            == 403
        )
    action.refresh_from_db()
    assert not action.is_done
    services.complete_action_item(actor=actor(w.u.officer), action=action, note="已聯繫")
    action.refresh_from_db()
    assert action.is_done


def test_the_log_of_a_share_keeps_no_reason_text_and_a_readable_end(w):
    """Insider review 10, F2 and F4: the reason (free text about the matter) is not in the log, where it would
    outlive a sealed record; the end time is written so that masking does not take it for a national ID."""
    meeting = schedule(w)
    share = services.share_item(
        actor=actor(w.u.secretariat), item=item_for(meeting, w.y.referred), bureau=w.b.police,
        sources=["welfare"], case_content=False, reason=REASON,
    )  # fmt: skip
    entry = AuditEntry.objects.get(
        action=AuditAction.CREATE, object_type="meetingshare", object_id=str(share.pk)
    )
    assert "reason" not in entry.detail and REASON not in str(entry.detail)
    assert "*" not in entry.detail["expires_at"] and entry.detail["bureau"] == "police"
