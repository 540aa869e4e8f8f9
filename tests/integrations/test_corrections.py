"""Contesting and correcting timeline events: who may file and decide, the history kept, the note shown,
the filing worker told, and the youth rescored through casework's signal."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from casework.models import Event, EventKind, Notification, RiskScore
from integrations.corrections import services as correction_services
from integrations.models import ContestStatus, EventCorrection, RecordContest
from tests.fixtures import PASSWORD, actor


def _offence(world):
    return Event.objects.get(youth=world.y.case, kind=EventKind.POLICE_OFFENCE)


def _file(world, event=None, user=None):
    event = event or _offence(world)
    return correction_services.file_contest(
        actor=actor(user or world.u.guidance), youth=event.youth, event_id=event.pk,
        contested_by="guardian", part="not_them", statement="那天他在學校，不是他。",
    )  # fmt: skip


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


# -- filing ------------------------------------------------------------------------------------------------


def test_a_worker_who_sees_the_youth_files_a_contest_from_the_form(world, client):
    event = _offence(world)
    _login(client, world.u.guidance)
    url = reverse("integrations:contest-new", args=[world.y.case.public_id, event.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"contested_by": "youth", "part": "date", "statement": "日期錯了"})
    assert response.status_code == 302
    contest = RecordContest.objects.get()
    assert (
        contest.event == event
        and contest.filed_by == world.u.guidance
        and contest.status == ContestStatus.OPEN
    )


@pytest.mark.parametrize("name", ["steward", "auditor", "admin"])
def test_roles_without_casework_may_not_file_contests(world, client, name):
    _login(client, getattr(world.u, name))
    url = reverse("integrations:contest-new", args=[world.y.case.public_id, _offence(world).pk])
    assert client.get(url).status_code == 403


def test_a_worker_cannot_contest_a_youth_or_event_out_of_their_reach(world, client):
    _login(client, world.u.guidance)
    hidden = Event.objects.get(youth=world.y.none)
    assert (
        client.get(reverse("integrations:contest-new", args=[world.y.none.public_id, hidden.pk])).status_code
        == 404
    )
    # The counsellor sees the student's school events, not their police record.
    police = Event.objects.get(youth=world.y.student, kind=EventKind.POLICE_DEVIANT)
    with pytest.raises(PermissionDenied):
        _file(world, event=police, user=world.u.counsellor)


# -- deciding ----------------------------------------------------------------------------------------------


def test_only_data_stewards_see_the_queue_and_decide(world, client):
    contest = _file(world)
    _login(client, world.u.guidance)
    assert client.get(reverse("integrations:corrections-queue")).status_code == 403
    assert client.post(reverse("integrations:contest-decide", args=[contest.pk]),
                       {"action": "reject", "reason": "no"}).status_code == 403  # fmt: skip
    with pytest.raises(PermissionDenied):
        correction_services.reject_contest(actor=actor(world.u.supervisor), contest=contest, reason="no")
    client.logout()
    _login(client, world.u.steward)
    response = client.get(reverse("integrations:corrections-queue"))
    assert response.status_code == 200 and world.y.case.public_id in response.content.decode()
    assert client.get(reverse("integrations:contest-decide", args=[contest.pk])).status_code == 200


def test_a_correction_keeps_the_history_and_tells_the_worker(world, client):
    event = _offence(world)
    old_date = event.event_date
    contest = _file(world)
    _login(client, world.u.steward)
    response = client.post(
        reverse("integrations:contest-decide", args=[contest.pk]),
        {"action": "correct", "event_date": "2020-01-05", "kind": EventKind.POLICE_DEVIANT, "code": "loitering",
         "detail__unit": "B", "note": "警方確認登錄錯誤"},
    )  # fmt: skip
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.event_date, event.kind, event.code, event.details) == (
        dt.date(2020, 1, 5),
        EventKind.POLICE_DEVIANT,
        "loitering",
        {"unit": "B"},
    )
    fix = EventCorrection.objects.get()
    assert fix.before["event_date"] == old_date.isoformat() and fix.before["kind"] == EventKind.POLICE_OFFENCE
    assert fix.after["code"] == "loitering" and fix.by == world.u.steward
    contest.refresh_from_db()
    assert contest.status == ContestStatus.CORRECTED
    note = Notification.objects.get(user=world.u.guidance)
    assert note.detail["decision"] == "corrected" and note.youth_id == world.y.case.pk
    assert note.kind == "contest_decided"
    # The worker who filed it reads the outcome in words in their inbox.
    _login(client, world.u.guidance)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    inbox = client.get(reverse("inbox")).content.decode()
    assert (
        f"The contest you filed for youth {world.y.case.public_id} was decided: the record was corrected."
        in inbox
    )
    _login(client, world.u.steward)
    # The history stays: the decision page shows before and after.
    page = client.get(reverse("integrations:contest-decide", args=[contest.pk])).content.decode()
    assert old_date.isoformat() in page and "loitering" in page


def test_a_correction_cannot_move_a_record_to_another_bureau(world):
    contest = _file(world)
    with pytest.raises(ValidationError):
        correction_services.correct_event(
            actor=actor(world.u.steward), contest=contest, note="n", kind=EventKind.ABSENCE
        )


def test_an_annotation_is_shown_beside_the_event(world, client):
    contest = _file(world)
    correction_services.annotate_event(
        actor=actor(world.u.steward), contest=contest, note="家長表示當日另有行程"
    )
    _login(client, world.u.guidance)
    url = reverse("integrations:contest-new", args=[world.y.case.public_id, contest.event_id])
    body = client.get(url).content.decode()
    assert "家長表示當日另有行程" in body
    _offence(world)  # the event itself is unchanged
    assert not EventCorrection.objects.exists()


def test_a_rejection_needs_a_reason_and_is_told_to_the_worker(world):
    contest = _file(world)
    with pytest.raises(ValidationError):
        correction_services.reject_contest(actor=actor(world.u.steward), contest=contest, reason=" ")
    correction_services.reject_contest(
        actor=actor(world.u.steward), contest=contest, reason="筆錄與學校出席紀錄相符"
    )
    contest.refresh_from_db()
    assert contest.status == ContestStatus.REJECTED and contest.decision_note == "筆錄與學校出席紀錄相符"
    assert Notification.objects.get(user=world.u.guidance).detail["decision"] == "rejected"
    with pytest.raises(ValidationError):
        correction_services.annotate_event(actor=actor(world.u.steward), contest=contest, note="again")


# -- rescoring ---------------------------------------------------------------------------------------------


@pytest.fixture
def active_model(world):
    """A small active model that has learned that police offences in the last year mean risk."""
    from riskmodel import indicators, pipeline
    from riskmodel.models import ModelStatus, RiskModel

    features = [i.key for i in indicators.CATALOGUE]
    rng = np.random.default_rng(7)
    n = 600
    X = pd.DataFrame(0.0, index=range(n), columns=features)
    X["police_offence_contacts_365d"] = rng.integers(0, 3, n).astype(float)
    y = ((X["police_offence_contacts_365d"] > 0).to_numpy() ^ (rng.random(n) < 0.1)).astype(int)
    config = pipeline.TrainConfig(
        lgbm={**pipeline.TrainConfig().lgbm, "n_estimators": 30, "min_child_samples": 5}
    )
    estimator = pipeline.RiskEstimator(config).fit(X, y, X, y)
    booster, calibrator = estimator.to_artifact()
    cuts_raw = pipeline.band_cutoffs(estimator.predict_raw(X), config.band_shares)
    return RiskModel.objects.create(
        version=1, as_of=world.today, config={**config.as_dict(), "features": features}, data_snapshot={}, seed=1,
        booster=booster, calibrator=calibrator, status=ModelStatus.ACTIVE,
        report={"bands": {"cutoffs": {}, "cutoffs_raw": cuts_raw}},
    )  # fmt: skip


def test_withdrawing_a_wrong_offence_rescores_the_youth_through_the_signal(
    world, active_model, django_capture_on_commit_callbacks
):
    from riskmodel import service

    service.score_youth(as_of=world.today - dt.timedelta(days=1))
    before = RiskScore.objects.filter(youth=world.y.case).order_by("-as_of").first()
    assert any(r["key"] == "police_offence_contacts_365d" for r in before.reasons)
    contest = _file(world)
    with django_capture_on_commit_callbacks(execute=True):
        correction_services.correct_event(
            actor=actor(world.u.steward), contest=contest, note="不是他", withdraw=True
        )
    assert not Event.objects.filter(pk=contest.event_id).exists()  # gone from every screen and feature
    assert Event.all_objects.filter(pk=contest.event_id).exists()  # the history stays
    after = RiskScore.objects.filter(youth=world.y.case).order_by("-as_of", "-scored_at").first()
    assert after.pk != before.pk and after.as_of == world.today
    assert after.score < before.score
    assert not any(r["key"] == "police_offence_contacts_365d" and r["value"] for r in after.reasons)


def test_without_an_active_model_a_correction_still_stands(world, django_capture_on_commit_callbacks):
    contest = _file(world)
    with django_capture_on_commit_callbacks(execute=True):
        correction_services.correct_event(
            actor=actor(world.u.steward), contest=contest, note="n", code="fraud_mule"
        )
    assert not RiskScore.objects.exists()
    assert Event.objects.get(pk=contest.event_id).code == "fraud_mule"


# -- the correction form: fields, not JSON ----------------------------------------------------------------


def _welfare(world):
    event = Event.objects.get(youth=world.y.case, kind=EventKind.CHILD_PROTECTION)
    event.details = {
        "reasons": ["neglect", "unattended"],
        "level": "A",
        "substantiated": True,
        "closed_on": None,
    }
    event.save(update_fields=["details"])
    return event


def test_a_steward_corrects_an_events_details_in_fields_not_json(world, client):
    """Issue 17: a steward edits the facts beside an event one field each, in words, and never meets JSON."""
    event = _welfare(world)
    contest = _file(world, event=event)
    _login(client, world.u.steward)
    url = reverse("integrations:contest-decide", args=[contest.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hant")
    form = page.context["forms"]["correct"]
    assert [n for n in form.fields if n.startswith("detail__")] == [
        "detail__reasons", "detail__level", "detail__substantiated", "detail__closed_on",
    ]  # fmt: skip
    assert form["detail__reasons"].value() == "neglect;unattended"
    body = page.content.decode()
    assert "JSON" not in body and "{&quot;" not in body and '{"' not in body
    assert "已證實" in body and "警察單位" not in body  # the fields' own words, only those of this kind
    response = client.post(
        url,
        {"action": "correct", "event_date": event.event_date.isoformat(), "kind": event.kind, "code": event.code,
         "detail__reasons": "neglect", "detail__level": "A", "detail__substantiated": "false",
         "detail__closed_on": "2026-01-31", "note": "社會處更正：未證實"},
    )  # fmt: skip
    assert response.status_code == 302
    event.refresh_from_db()
    # Each detail keeps its type: a list of codes, a yes/no, a day; what was not touched is kept as it was.
    assert event.details == {
        "reasons": ["neglect"], "level": "A", "substantiated": False, "closed_on": "2026-01-31",
    }  # fmt: skip
    # The correction reads in words wherever it is shown: on the decision page and beside the event.
    history = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "原因：疏忽照顧、獨處無人照顧" in history and "原因：疏忽照顧</li>" in history
    assert "已證實：是" in history and "已證實：否" in history and "結案日：2026-01-31" in history
    assert "{&#x27;" not in history and "[&#x27;" not in history and "details" not in history


def test_a_detail_the_bureau_never_gave_stays_absent_unless_filled_in(world, client):
    event = _offence(world)
    event.details = {}
    event.save(update_fields=["details"])
    contest = _file(world, event=event)
    _login(client, world.u.steward)
    response = client.post(
        reverse("integrations:contest-decide", args=[contest.pk]),
        {"action": "correct", "event_date": "2020-01-05", "kind": event.kind, "code": event.code,
         "detail__unit": "", "note": "日期更正"},
    )  # fmt: skip
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.details == {} and event.event_date == dt.date(2020, 1, 5)


def test_a_detail_day_that_is_no_day_is_refused_in_words(world, client):
    event = _welfare(world)
    contest = _file(world, event=event)
    _login(client, world.u.steward)
    response = client.post(
        reverse("integrations:contest-decide", args=[contest.pk]),
        {"action": "correct", "event_date": event.event_date.isoformat(), "kind": event.kind, "code": event.code,
         "detail__closed_on": "2026-02-31", "detail__reasons": "neglect;unattended", "detail__level": "A",
         "detail__substantiated": "true", "note": "x"},
        HTTP_ACCEPT_LANGUAGE="zh-hant",
    )  # fmt: skip
    assert response.status_code == 200
    errors = response.context["forms"]["correct"].errors
    assert "detail__closed_on" in errors
    assert "Expecting" not in response.content.decode() and "Traceback" not in response.content.decode()
    event.refresh_from_db()
    assert event.details["closed_on"] is None and contest.status == ContestStatus.OPEN
