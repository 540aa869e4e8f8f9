"""Overriding the promotion gate takes two people, and a model without signal takes none: a model steward
proposes with a written reason, a supervisor of the committee (another person) approves or rejects, both in
the access log; no one makes active a model whose test months do not show it beats random order. Without an
active model the triage queue shows no score and says why, while alerts from the rules still arrive."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from casework.access.audit import Actor
from casework.models import Alert, AlertStatus, AuditEntry, Membership, RiskScore, Role
from riskmodel import model_card, promotion, readings, service
from riskmodel.models import ModelStatus, OverrideStatus, PromotionOverride, RiskModel
from tests.fixtures import actor
from tests.riskmodel.test_registry_pages import build_risk_model, html, login

REASON = "Pilot in two districts; the committee reviews every alert by hand for three months."


@pytest.fixture
def refused(world):
    """An active risk-v1 and a candidate risk-v2 that failed an overridable check (not calibrated)."""
    build_risk_model(version=1, status=ModelStatus.ACTIVE, seed=3)
    return build_risk_model(version=2, gate_passed=False, failing=("calibrated",))


@pytest.fixture
def no_signal(world):
    """A candidate whose test months do not show it orders youth better than random order."""
    return build_risk_model(version=2, gate_passed=False, failing=("beats_random_order_auc",))


def users(world, *names):
    return [getattr(world.u, n) for n in names]


def test_a_model_steward_proposes_and_a_committee_supervisor_approves_both_logged(world, refused):
    modeller, supervisor = users(world, "modeller", "supervisor")
    override = promotion.propose_override(model=refused, actor=actor(modeller), reason=REASON)
    assert override.status == OverrideStatus.PROPOSED and override.failed_checks == ["calibrated"]
    refused.refresh_from_db()
    assert refused.status == ModelStatus.CANDIDATE  # a proposal alone changes nothing

    promotion.approve_override(
        override=override, actor=actor(supervisor), note="Reviewed at the liaison meeting"
    )
    refused.refresh_from_db()
    assert refused.status == ModelStatus.ACTIVE
    assert RiskModel.objects.get(version=1).status == ModelStatus.RETIRED

    proposed, approved = AuditEntry.objects.filter(object_type="promotionoverride").order_by("pk")
    assert proposed.username == "modeller" and proposed.detail["override"] == "proposed"
    assert proposed.detail["reason"] == REASON
    assert approved.username == "supervisor" and approved.detail["override"] == "approved"
    activation = readings.activation(refused)
    assert activation.username == "supervisor"
    assert activation.detail["override_reason"] == REASON
    assert activation.detail["proposed_by"] == "modeller" and activation.detail["approved_by"] == "supervisor"


def test_one_person_cannot_both_propose_and_approve(world, refused):
    modeller = world.u.modeller
    # A model steward who is also a supervisor of the committee still needs a second person.
    Membership.objects.create(user=modeller, bureau=world.b.committee, role=Role.SUPERVISOR)
    modeller = type(modeller).objects.get(pk=modeller.pk)
    override = promotion.propose_override(model=refused, actor=actor(modeller), reason=REASON)
    with pytest.raises(ValidationError) as refusal:
        promotion.approve_override(override=override, actor=actor(modeller))
    assert refusal.value.code == "same_person"
    refused.refresh_from_db()
    assert refused.status == ModelStatus.CANDIDATE
    # And the database holds the rule whatever the code above it does.
    with pytest.raises(IntegrityError), transaction.atomic():
        PromotionOverride.objects.filter(pk=override.pk).update(
            status=OverrideStatus.APPROVED, decided_by=modeller, decided_at=override.proposed_at
        )


@pytest.mark.parametrize("who", ["supervisor", "police_supervisor", "officer", "steward"])
def test_only_model_stewards_propose(world, refused, who):
    with pytest.raises(PermissionDenied):
        promotion.propose_override(model=refused, actor=actor(getattr(world.u, who)), reason=REASON)
    assert not PromotionOverride.objects.exists()


@pytest.mark.parametrize("who", ["police_supervisor", "modeller", "guidance", "auditor"])
def test_only_supervisors_of_the_committee_decide(world, refused, who):
    override = promotion.propose_override(model=refused, actor=actor(world.u.modeller), reason=REASON)
    with pytest.raises(PermissionDenied):
        promotion.approve_override(override=override, actor=actor(getattr(world.u, who)))
    refused.refresh_from_db()
    assert refused.status == ModelStatus.CANDIDATE


def test_a_reason_must_say_something(world, refused):
    with pytest.raises(ValidationError) as refusal:
        promotion.propose_override(model=refused, actor=actor(world.u.modeller), reason="   ok   ")
    assert refusal.value.code == "reason"


def test_a_rejected_proposal_leaves_the_model_a_candidate_and_a_new_one_may_follow(world, refused):
    modeller, supervisor = users(world, "modeller", "supervisor")
    first = promotion.propose_override(model=refused, actor=actor(modeller), reason=REASON)
    with pytest.raises(ValidationError):  # one open proposal per model
        promotion.propose_override(model=refused, actor=actor(modeller), reason=REASON + " Again.")
    promotion.reject_override(override=first, actor=actor(supervisor), note="Recalibrate first")
    refused.refresh_from_db()
    assert refused.status == ModelStatus.CANDIDATE
    assert AuditEntry.objects.filter(username="supervisor", detail__override="rejected").exists()
    with pytest.raises(ValidationError):  # decided once
        promotion.approve_override(override=first, actor=actor(supervisor))
    promotion.propose_override(model=refused, actor=actor(modeller), reason=REASON + " After recalibration.")


def test_a_model_without_signal_cannot_be_proposed_approved_or_activated_by_a_person(world, no_signal):
    modeller, supervisor = users(world, "modeller", "supervisor")
    with pytest.raises(ValidationError) as refusal:
        promotion.propose_override(model=no_signal, actor=actor(modeller), reason=REASON)
    assert refusal.value.code == "no_signal"
    for person in (modeller, supervisor):
        with pytest.raises(ValidationError) as refusal:
            service.activate_model(model=no_signal, actor=actor(person), override_reason=REASON)
        assert refusal.value.code == "no_signal"
    no_signal.refresh_from_db()
    assert no_signal.status == ModelStatus.CANDIDATE


def test_only_a_job_with_no_person_behind_it_activates_with_a_reason_and_it_is_logged_as_such(world, refused):
    with pytest.raises(ValidationError) as refusal:
        service.activate_model(model=refused, actor=actor(world.u.supervisor), override_reason=REASON)
    assert refusal.value.code == "needs_override"
    service.activate_model(model=refused, actor=Actor.system("test"), override_reason="fault test")
    entry = readings.activation(refused)
    assert entry.username == "" and entry.path == "system:test"
    assert entry.detail["operator"] is True and entry.detail["failed_checks"] == ["calibrated"]


# ---------------------------------------------------------------------------------------------------------
# The pages and the API
# ---------------------------------------------------------------------------------------------------------


def test_the_report_page_walks_the_two_people_through_the_override(client, world, refused):
    url = reverse("riskmodel:model-report", args=[2])
    login(client, "modeller")
    page = html(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert 'id="propose-form"' in page and 'id="approve-form"' not in page
    assert '<tr data-check="calibrated">' in page
    response = client.post(reverse("riskmodel:override-propose", args=[2]), {"reason": REASON}, follow=True)
    assert "A supervisor of the committee decides" in html(response) or "由少輔會督導決定" in html(response)
    page = html(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert 'id="override-open"' in page and REASON in page
    assert 'id="approve-form"' not in page  # the proposer may not decide
    client.logout()

    login(client, "police_supervisor")  # a supervisor, but not of the committee
    page = html(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert 'id="approve-form"' not in page
    override = PromotionOverride.objects.get()
    decide = reverse("riskmodel:override-decide", args=[2, override.pk, "approve"])
    assert client.post(decide).status_code == 403
    client.logout()

    login(client, "supervisor")
    page = html(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert 'id="approve-form"' in page and 'id="reject-form"' in page
    client.post(decide, {"note": "Reviewed"})
    refused.refresh_from_db()
    assert refused.status == ModelStatus.ACTIVE
    page = html(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert re.search(r'id="override-reason">.*' + re.escape(REASON), page)
    assert "proposed by modeller, approved by supervisor" in page
    card = html(client.get(reverse("riskmodel:model-card", args=[2]), HTTP_ACCEPT_LANGUAGE="en"))
    assert REASON in card


def test_the_report_page_of_a_model_without_signal_offers_no_way_to_make_it_active(client, world, no_signal):
    login(client, "modeller")
    page = html(client.get(reverse("riskmodel:model-report", args=[2]), HTTP_ACCEPT_LANGUAGE="en"))
    assert 'id="promote-refused"' in page
    assert "not even with a written reason" in page
    assert "The test months do not show that it orders youth better than random order" in page
    for form in ("promote-form", "propose-form", "approve-form"):
        assert f'id="{form}"' not in page


def test_the_api_overrides_with_the_same_two_people(client, world, refused):
    login(client, "modeller")
    proposed = client.post("/api/models/2/overrides/", {"reason": REASON}, content_type="application/json")
    assert proposed.status_code == 201 and proposed.json()["status"] == "proposed"
    pk = proposed.json()["id"]
    assert (
        client.post(f"/api/models/2/overrides/{pk}/approve/", {}, content_type="application/json").status_code
        == 403
    )
    client.logout()
    login(client, "supervisor")
    assert (
        client.post(
            "/api/models/2/overrides/", {"reason": REASON}, content_type="application/json"
        ).status_code
        == 403
    )
    done = client.post(
        f"/api/models/2/overrides/{pk}/approve/", {"note": "ok"}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["status"] == "approved"
    assert done.json()["proposed_by"] == "modeller" and done.json()["decided_by"] == "supervisor"
    assert RiskModel.objects.get(version=2).status == ModelStatus.ACTIVE


# ---------------------------------------------------------------------------------------------------------
# The triage queue without an active model
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def scored_alert(world):
    """The world's police alert, its youth scored by an earlier run."""
    Alert.objects.filter(pk=world.alert.pk).update(status=AlertStatus.OPEN)
    RiskScore.objects.create(
        youth=world.alert.youth, as_of=dt.date(2026, 11, 1), score=0.0201, band="very_high", rank=1,
        model_version="risk-v1", reasons=[],
    )  # fmt: skip
    return world.alert


def queue(client, user):
    login(client, user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return html(client.get(reverse("triage-queue")))


def test_without_an_active_model_the_queue_shows_no_score_and_says_why(
    client, world, no_signal, scored_alert
):
    page = queue(client, "officer")
    assert 'id="no-active-model"' in page and "No risk model is active" in page
    assert f'data-alert="{scored_alert.pk}"' in page  # the rule's alert still arrives
    assert 'data-score="' not in page and "No active model" in page


def test_with_an_active_model_the_queue_shows_scores(client, world, scored_alert):
    build_risk_model(version=1, status=ModelStatus.ACTIVE)
    page = queue(client, "officer")
    assert 'id="no-active-model"' not in page and 'data-score="0.0201"' in page


def test_score_youth_says_there_is_no_active_model_and_why(world, no_signal):
    with pytest.raises(ValidationError) as refusal:
        service.score_youth(as_of=dt.date(2025, 6, 1))
    text = " ".join(refusal.value.messages)
    assert "There is no active risk model, so no youth was scored" in text
    assert "risk-v2" in text and "orders youth better than random order" in text
    assert "Alerts from the focal-linkage rules still reach the triage queues" in text
    assert not RiskScore.objects.filter(as_of=dt.date(2025, 6, 1)).exists()


def test_the_caveats_of_a_model_without_signal_say_what_its_figures_say(world, no_signal):
    from django.utils import translation

    with translation.override("en"):
        caveats = model_card.caveats(no_signal)
    assert any("do not show that it orders youth better than random order" in c for c in caveats)
    assert not any("only a little better than chance" in c for c in caveats)
